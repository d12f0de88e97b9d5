"""Web benchmark: the public list, detail page and API under a fixed request rate.

    .venv/bin/python bench/web_bench.py [--scale 300000 | --no-scale] [--duration 20] [--workers 3]

In one run:
 1. creates the scratch database `upr_portal_webbench` (dropped and made again),
    imports the four shared UPR Info CSVs (33,082 rows) and the OHCHR China 2013 list, and
    builds the search postings and related recommendations as the background job after an
    import does;
 2. builds the URL mixes from the data: ≥50 distinct list URLs (search terms that occur,
    alone and with 1–2 facets; facets alone; the plain list; deep pages), 1,000 detail
    pages of sampled codes, the same list queries on the API;
 3. with the detail scenario, serves bench/bare_wsgi.py (two bytes, no Django) with the
    same gunicorn settings at 200/s first: `gunicorn alone`, the cost of a request before
    the portal does anything;
    then starts gunicorn on 127.0.0.1 (a free port) with production settings (DEBUG=0, Redis
    cache in database 14, flushed first) and loads each scenario at a fixed arrival rate
    (bench/load.py, open model): /health/ 50/s (the floor), list 50/s, detail 200/s, API
    50/s. The public cache (facet counts, counts and pages of search results, the detail
    page's content) is warm: every URL of a mix is requested once before it is measured;
 4. starts gunicorn again with that cache off (PUBLIC_CACHE_SECONDS=0) and measures the
    mixes again: the uncached figures;
 5. unless --no-scale, adds synthetic copies up to --scale recommendations
    (bench/scale_data.py), builds their search postings and related recommendations, and
    measures the floor, the list and the API list again, cached and uncached;
 6. prints a table (latencies from each request's due time; a request without an answer
    counts as infinitely slow), the CPU each request cost (app workers, database) and what
    the rest of the shared machine used meanwhile, the targets met or missed, and writes
    the figures as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import load  # noqa: E402
from import_bench import server_url  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "upr"
CSV_FILES = [
    SHARED / "upr-info-export-2015" / "csv" / name for name in ("1-5.csv", "6-9.csv", "10-13.csv", "14-17.csv")
]
DOCX_FILE = SHARED / "ohchr-thematic-lists" / "china" / "Matrix_recommendations_2013.docx"
BENCH_DB = "upr_portal_webbench"
REDIS_URL = "redis://127.0.0.1:6379/14"
RESULTS = BENCH / "results"

# Words and phrases of the recommendations' subjects; those without a hit are dropped.
SEARCH_TERMS = [
    "torture", "death penalty", "women", "children", "education", "trafficking", "journalists",
    "disabilities", "racial discrimination", "migrants", "freedom of expression", "domestic violence",
    "indigenous", "prison", "health", "human rights defenders", "juvenile justice", "refugees",
]  # fmt: skip

DETAIL_CODES = 1000  # distinct detail pages in the mix (each requested ~4 times in a 20 s run at 200/s)

TARGETS = {  # scenario -> (rate, p95 limit in ms), at the real data size
    "list": (50, 150),
    "detail": (200, 50),
    "api": (50, 100),
}


# --- database --------------------------------------------------------------------------------


def database_url(name: str) -> str:
    params = server_url()
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    return f"postgres://{auth}@{params['host']}:{params['port']}/{name}"


def recreate_database() -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **server_url())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    conn.close()


def setup_django() -> None:
    os.environ["DATABASE_URL"] = database_url(BENCH_DB)
    os.environ["SECRET_KEY"] = "bench"
    os.environ["DJANGO_SETTINGS_MODULE"] = "upr_portal.settings"
    os.environ["REDIS_URL"] = REDIS_URL
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def import_data() -> float:
    from django.core.management import call_command

    from recommendations.services import recommendations_import

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    for path in [*CSV_FILES, DOCX_FILE]:
        outcome = recommendations_import(path=path, label=path.name)
        print("  " + outcome.summary_line(), flush=True)
        if outcome.errors:
            raise SystemExit(f"{path.name} did not import: {outcome.errors[:3]}")
    analyse()
    return time.perf_counter() - start


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def build_derived() -> dict[str, float]:
    """What the background job does after every data change besides the facet index (which
    the warm-up builds through a list request): the frequent words' search postings and
    the related recommendations. Seconds each."""
    from recommendations import postings, related

    seconds = {}
    for name, write in (("postings", postings.write), ("related", related.write)):
        start = time.perf_counter()
        built = write()
        seconds[name] = round(time.perf_counter() - start, 1)
        print(f"{name}: {'built in ' + str(seconds[name]) + ' s' if built else 'already built'}", flush=True)
    return seconds


def recommendation_count() -> int:
    from recommendations.models import Recommendation

    return Recommendation.objects.count()


# --- URL mixes -------------------------------------------------------------------------------


def top_values(column: str, limit: int, array: bool = False) -> list[str]:
    from django.db import connection

    value = f"unnest({column})" if array else column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v, count(*) FROM (SELECT {value} AS v FROM recommendations_recommendation) t "
            "WHERE v IS NOT NULL AND v::text <> '' GROUP BY v ORDER BY 2 DESC, 1 LIMIT %s",
            [limit],
        )
        return [str(row[0]) for row in cursor.fetchall()]


def search_terms() -> list[str]:
    from django.http import QueryDict

    from recommendations.selectors import recommendation_filterset

    found = []
    for term in SEARCH_TERMS:
        filterset = recommendation_filterset(QueryDict(urlencode({"q": term})))
        if filterset.is_valid() and filterset.qs.exists():
            found.append(term)
    return found


def list_queries(rng: random.Random) -> list[dict]:
    """Distinct query strings of the list: terms x 1–2 facets, facets alone, the plain list, deep pages."""
    facets = {
        "state": top_values("f_state", 8),
        "cycle": top_values("f_cycle", 2),
        "position": ["supported", "noted"],
        "theme": top_values("f_themes", 8, array=True),
        "recommending_state": top_values("f_recommending", 8, array=True),
    }
    names = list(facets)
    queries: list[dict] = [{}, {"page": 50}, {"page": 400}, {"page": 1000}, {"ordering": "date", "page": 3}]
    for term in search_terms():
        queries.append({"q": term})
        for _ in range(3):
            chosen = rng.sample(names, rng.choice((1, 2)))
            queries.append({"q": term} | {name: rng.choice(facets[name]) for name in chosen})
    for name in names:
        for value in facets[name][:3]:
            queries.append({name: value})
    for _ in range(8):
        first, second = rng.sample(names, 2)
        queries.append({first: rng.choice(facets[first]), second: rng.choice(facets[second])})
    unique, seen = [], set()
    for query in queries:
        key = urlencode(sorted(query.items()))
        if key not in seen:
            seen.add(key)
            unique.append(query)
    return unique


def detail_codes(count: int) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("SELECT code FROM recommendations_recommendation ORDER BY random() LIMIT %s", [count])
        return [str(row[0]) for row in cursor.fetchall()]


def build_paths(seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    queries = list_queries(rng)
    rng.shuffle(queries)
    api_queries = [q for q in queries if int(q.get("page", 1)) <= 100]  # API pages hold 50
    return {
        "health": ["/health/"],
        "list": [f"/en/recommendations/?{urlencode(q)}" for q in queries],
        "detail": [f"/en/recommendations/{code}/" for code in detail_codes(DETAIL_CODES)],
        "api": [f"/api/v1/recommendations/?{urlencode(q)}" for q in api_queries],
    }


# --- gunicorn --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(
        self, workers: int, env_extra: dict[str, str] | None = None, app: str = "upr_portal.wsgi:application"
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="webbench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        env = (
            os.environ
            | {
                "DATABASE_URL": database_url(BENCH_DB),
                "DEBUG": "0",
                "SECRET_KEY": "bench",
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",
                "SECURE_HSTS_SECONDS": "0",
                "REDIS_URL": REDIS_URL,
                "STATIC_MANIFEST": "0",
                "API_ANON_RATE": "1000000/minute",  # one client address sends everything here
                "LOG_LEVEL": "WARNING",
            }
            | (env_extra or {})
        )
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            app,
            "--pythonpath", str(BENCH),
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers),
            "--backlog", "256",
            "--timeout", "30",
            "--error-logfile", self.log.name,
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/health/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer on {self.base} within 30 s; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the arbiter stops its own workers
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:  # its own session: the arbiter and its workers
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def warm_up(server: Server, paths: dict[str, list[str]]) -> None:
    """Every worker loads its code, templates and connections (URLs outside the measured mixes).

    `?page=2` is the first list request of this data version: it builds the version's facet
    index (`recommendations.facet_index`: ~0.3 s at 33k, ~3 s at 300k) and shares it through
    Redis, as the background job after an import would; the other workers read it on their
    first list request. It is data of the version, shared by every URL, not a cache of the
    URLs measured."""
    warm = ["/health/", "/en/recommendations/?page=2", "/en/recommendations/?q=warm+up+only"]
    warm += ["/api/v1/recommendations/?q=warm+up+only"]
    for path in warm[:2]:  # one at a time, each waiting for its answer
        with urllib.request.urlopen(server.base + path, timeout=120) as response:
            response.read()
    load.run([server.base + path for path in [*warm, paths["detail"][-1]]], rate=20, duration=3, workers=8)


# --- measuring -------------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _database_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'",
            [BENCH_DB],
        )
        return [row[0] for row in cursor.fetchall()]


def _machine_cpu() -> tuple[float, float, float]:
    """(busy, idle, steal) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle, steal = values[3] + values[4], values[7] if len(values) > 7 else 0
    return sum(values[:8]) - idle - steal, idle, steal


def _all_cpu() -> dict[int, float]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            cpu = _proc_cpu(int(entry.name))
            if cpu:
                found[int(entry.name)] = cpu
    return found


class CpuMeter:
    """Where the CPU went during a run: the app's workers, its PostgreSQL backends, the load
    generator (this process), and the other processes of the shared machine (those alive
    at both ends of the run; short-lived ones, such as parallel query workers, are not
    counted anywhere but in `machine_busy_cores`)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.start = self._sample()

    def _sample(self) -> tuple:
        return (
            time.perf_counter(),
            set(_children(self.server.process.pid)) | {self.server.process.pid},
            set(_database_backends()),
            time.process_time(),
            _machine_cpu(),
            _all_cpu(),
        )

    def stop(self, completed: int) -> dict:
        end = self._sample()
        wall = end[0] - self.start[0]
        before, after = self.start[5], end[5]

        def used(pids: set[int]) -> float:  # a process that started or ended within the run too
            return sum(after.get(pid, before.get(pid, 0.0)) - before.get(pid, 0.0) for pid in pids)

        ours = self.start[1] | end[1] | self.start[2] | end[2] | {os.getpid()}
        app, db = used(self.start[1] | end[1]), used(self.start[2] | end[2])
        others = sum(after[pid] - before[pid] for pid in after.keys() & before.keys() - ours)
        generator = end[3] - self.start[3]
        busy, idle, steal = (end[4][i] - self.start[4][i] for i in range(3))
        tick = os.sysconf("SC_CLK_TCK")
        per = max(completed, 1)
        return {
            "app_cpu_ms_per_request": round(app / per * 1000, 2),
            "db_cpu_ms_per_request": round(db / per * 1000, 2),
            "load_generator_cores": round(generator / wall, 2),
            "others_busy_cores": round(others / wall, 2),
            "machine_busy_cores": round(busy / tick / wall, 2),
            "steal_cores": round(steal / tick / wall, 2),
            "idle_cores": round(idle / tick / wall, 2),
        }


QUIET_CORES = 0.25  # a run during which the rest of the machine used more is retried
ATTEMPTS = 3


def wait_for_quiet(limit: float = 60.0) -> float:
    """Wait (at most `limit` seconds) until the machine is idle for 3 s in a row: the other
    work on this shared machine would otherwise be measured with ours. Returns the wait."""
    started, quiet = time.perf_counter(), 0
    tick = os.sysconf("SC_CLK_TCK")
    while time.perf_counter() - started < limit and quiet < 3:
        before = _machine_cpu()[0]
        time.sleep(1)
        quiet = quiet + 1 if (_machine_cpu()[0] - before) / tick < QUIET_CORES else 0
    return time.perf_counter() - started


def measure(server: Server, name: str, paths: list[str], rate: float, duration: float, results: dict) -> dict:
    """One scenario; a run during which the rest of the machine was busy (other sessions'
    work) is retried after it calms down, up to ATTEMPTS runs. Every run is kept in the JSON;
    the figures shown are the first quiet run's, or the last run's, marked, if none was."""
    attempts = []
    for _ in range(ATTEMPTS):
        waited = wait_for_quiet()
        meter = CpuMeter(server)
        result = load.run([server.base + path for path in paths], rate=rate, duration=duration)
        summary = result.summary() | {"distinct_urls": len(set(paths)), "cpu": meter.stop(len(result.latencies))}
        summary["slowest"] = [(ms, url.removeprefix(server.base)) for ms, url in summary["slowest"]]
        summary["waited_for_quiet_s"] = round(waited, 1)
        summary["contended"] = summary["cpu"]["others_busy_cores"] >= QUIET_CORES
        attempts.append(summary)
        cpu = summary["cpu"]
        print(
            load.format_row(name + (" (busy machine)" if summary["contended"] else ""), summary)
            + f"  cpu/req app {cpu['app_cpu_ms_per_request']} db {cpu['db_cpu_ms_per_request']} ms;"
            + f" load generator {cpu['load_generator_cores']}, others {cpu['others_busy_cores']},"
            + f" idle {cpu['idle_cores']} cores",
            flush=True,
        )
        if summary["errors"]:
            print(f"    errors: {summary['error_kinds']} statuses: {summary['statuses']}", flush=True)
        time.sleep(2)  # let the last responses drain
        if not summary["contended"]:
            break
    results[name] = attempts[-1] | {"attempts": attempts[:-1]}
    return results[name]


def prewarm(server: Server, paths: list[str], workers: int) -> None:
    """Request every URL of a mix once (as many at a time as there are workers, each waiting
    for its answer), so that the measured run meets a warm cache."""
    started = time.perf_counter()
    answered = load.sweep([server.base + path for path in paths], concurrency=workers)
    print(f"    (cache filled: {answered}/{len(paths)} URLs in {time.perf_counter() - started:.0f} s)", flush=True)
    time.sleep(1)


def phase(
    workers: int,
    paths: dict,
    duration: float,
    results: dict,
    suffix: str,
    *,
    full: bool,
    only: tuple[str, ...] = ("list", "detail", "api"),
    caches: tuple[bool, ...] = (False, True),
) -> None:
    """One data size. First on a server started with the public cache off
    (PUBLIC_CACHE_SECONDS=0): the floor, the list, the detail page (`full` only), the API
    list -- the figures the targets are judged on, since every request of the mix then does
    its work. Then the same mixes with the cache on and warm (every URL of a mix requested
    once before it is measured): what repeated URLs cost."""
    scenarios = tuple(name for name in (("list", "detail", "api") if full else ("list", "api")) if name in only)
    for index, cached in enumerate(caches):
        server = Server(workers, None if cached else {"PUBLIC_CACHE_SECONDS": "0"})
        try:
            warm_up(server, paths)
            if index == 0:
                measure(server, f"health{suffix}", paths["health"], TARGETS["list"][0], duration, results)
            for name in scenarios:
                if cached:
                    prewarm(server, paths[name], workers)
                label = f"{name}{'' if cached else ' uncached'}{suffix}"
                measure(server, label, paths[name], TARGETS[name][0], duration, results)
        finally:
            server.stop()


def gunicorn_alone(workers: int, duration: float, results: dict) -> None:
    """The floor under every request: gunicorn serving `bare_wsgi` (two bytes, no Django),
    at the detail page's rate, with the same settings as the portal."""
    server = Server(workers, app="bare_wsgi:application")
    try:
        measure(server, "gunicorn alone", ["/"], TARGETS["detail"][0], duration, results)
    finally:
        server.stop()


def _proc_field(path: str, name: str) -> str:
    lines = Path(path).read_text().splitlines()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(name)), "?")


def machine() -> dict:
    return {
        "nproc": os.cpu_count(),
        "cpu": _proc_field("/proc/cpuinfo", "model name"),
        "memory": _proc_field("/proc/meminfo", "MemTotal"),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


def verdicts(results: dict) -> list[str]:
    lines = []
    for scenario, (rate, limit) in TARGETS.items():
        for name in (scenario, f"{scenario} uncached"):
            if name not in results:
                continue
            row = results[name]
            ok = row["p95_ms"] is not None and row["p95_ms"] <= limit and row["errors"] == 0
            shown = "inf" if row["p95_ms"] is None else row["p95_ms"]
            verdict = ("met" if ok else "MISSED") if "uncached" in name else "reference only"
            lines.append(
                f"{name} at {rate}/s: p95 {shown} ms (target ≤ {limit}), {row['errors']} errors -> {verdict}"
                + ("" if "uncached" in name else " (cache warm: every URL of the mix requested before)")
            )
    for name in ("list", "list uncached"):
        real, scaled = results.get(name), results.get(f"{name} @scaled")
        if not real or not scaled:
            continue
        if real["p50_ms"] is None or scaled["p50_ms"] is None:
            lines.append(f"{name} median scaled/real: not measurable (over half the requests unanswered) -> MISSED")
            continue
        ratio = scaled["p50_ms"] / real["p50_ms"]
        results[f"{name} median ratio"] = round(ratio, 2)
        verdict = "met" if ratio < 2 and not real["errors"] and not scaled["errors"] else "MISSED"
        verdict = verdict if "uncached" in name else f"reference only, cache warm ({verdict})"
        lines.append(f"{name} median scaled/real: {ratio:.2f}x (target < 2, without errors) -> {verdict}")
    return lines


def main() -> None:
    global BENCH_DB, REDIS_URL  # module settings, read by the helpers above; --database, --redis
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=300_000, help="recommendations after scaling (default 300,000)")
    parser.add_argument("--no-scale", action="store_true", help="measure the real data only")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per scenario (default 20)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--reuse-db", action="store_true", help="keep the database of the last run (no import)")
    parser.add_argument("--database", default=BENCH_DB, help=f"scratch database (default {BENCH_DB})")
    parser.add_argument("--redis", default=REDIS_URL, help=f"cache Redis, flushed (default {REDIS_URL})")
    parser.add_argument("--scenarios", default="list,detail,api", help="which of list,detail,api (default all)")
    parser.add_argument(
        "--cache", choices=("both", "off", "warm"), default="both", help="off, warm or both (default: off, then warm)"
    )
    args = parser.parse_args()
    BENCH_DB, REDIS_URL = args.database, args.redis
    only = tuple(args.scenarios.split(","))
    caches = {"both": (False, True), "off": (False,), "warm": (True,)}[args.cache]
    missing = [path for path in [*CSV_FILES, DOCX_FILE] if not path.exists()]
    if missing:
        sys.exit(f"The shared UPR data is missing ({missing[0]}); this benchmark needs /work/shared/data/upr.")
    results: dict = {"machine": machine(), "workers": args.workers, "duration": args.duration}
    print(f"machine: {results['machine']}")
    if not args.reuse_db:
        recreate_database()
    setup_django()
    if not args.reuse_db:
        print(f"importing into {BENCH_DB}:", flush=True)
        results["import_seconds"] = round(import_data(), 1)
    results["recommendations"] = recommendation_count()
    print(f"{results['recommendations']:,} recommendations", flush=True)
    results["derived_seconds"] = build_derived()
    flush_redis()
    paths = build_paths()
    results["distinct_urls"] = {name: len(set(values)) for name, values in paths.items()}
    print(f"URL mixes: {results['distinct_urls']}; gunicorn with {args.workers} workers", flush=True)
    print(load.HEADER)
    if "detail" in only:
        gunicorn_alone(args.workers, args.duration, results)
    phase(args.workers, paths, args.duration, results, "", full=True, only=only, caches=caches)
    if not args.no_scale:
        import scale_data

        print(f"scaling to {args.scale:,} recommendations:", flush=True)
        results["scale"] = scale_data.scale(args.scale)
        results["recommendations_scaled"] = recommendation_count()
        print(f"{results['recommendations_scaled']:,} recommendations ({results['scale']['seconds']} s)", flush=True)
        results["derived_seconds_scaled"] = build_derived()
        print(load.HEADER)
        phase(args.workers, paths, args.duration, results, " @scaled", full=False, only=only, caches=caches)
    print()
    print(load.HEADER)
    for name, row in results.items():
        if isinstance(row, dict) and "p95_ms" in row:
            print(load.format_row(name, row))
    print()
    for line in verdicts(results):
        print(line)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"web_bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"\nfigures written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
