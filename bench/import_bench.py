"""Import benchmark: the four shared UPR Info CSVs (33,082 rows) into an empty database.

    .venv/bin/python bench/import_bench.py [--runs N] [--first] [--profile]

Creates (and drops) a scratch database `upr_portal_bench` on the configured server.
Prints: first import, re-import of the unchanged files, and PostgreSQL's own COPY of the
same rows into a plain table (the floor), all measured in this one process. The machine
is shared and a 0.5 s floor varies by half from one run to the next, so the first import
and the floor are measured in turns, `--runs` times (3), each import into a new
database and followed by three floors, and compared by their medians.
"""

import argparse
import csv
import io
import os
import statistics
import sys
import time
from pathlib import Path

import dj_database_url
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "upr" / "upr-info-export-2015" / "csv"
FILES = ["1-5.csv", "6-9.csv", "10-13.csv", "14-17.csv"]
BENCH_DB = "upr_portal_bench"


def server_url() -> dict:
    config = dj_database_url.parse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    return {
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"],
    }


def recreate_database() -> None:
    conn = psycopg2.connect(dbname="postgres", **server_url())
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    conn.close()


def new_database() -> None:
    """An empty, migrated `upr_portal_bench` (Django set up on the first call)."""
    if "django" in sys.modules:
        from django.db import connection

        connection.close()
    recreate_database()
    setup_django()


def setup_django() -> None:
    params = server_url()
    auth = f"{params['user']}:{params['password']}@" if params["password"] else f"{params['user']}@"
    os.environ["DATABASE_URL"] = f"postgres://{auth}{params['host']}:{params['port']}/{BENCH_DB}"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upr_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def import_all(paths: list[Path], *, use_digest: bool = True) -> tuple[float, list[str], str]:
    """Seconds, summary lines, and the CPU time of PostgreSQL and of Python meanwhile."""
    from recommendations.services import recommendations_import_files

    start, server, python = time.perf_counter(), server_cpu(), time.process_time()
    outcomes = list(recommendations_import_files(paths=paths, use_digest=use_digest))
    elapsed = time.perf_counter() - start
    python = time.process_time() - python
    server = f"{server_cpu() - server:.2f} s" if server is not None else "n/a (not a local server)"
    cpu = f"CPU meanwhile: PostgreSQL backend {server}, Python {python:.2f} s (both threads)"
    for outcome in outcomes:
        outcome.path = Path(outcome.path).name
    return elapsed, [outcome.summary_line() for outcome in outcomes], cpu


FLOORS_PER_RUN = 3  # the floor is short, and most of it is Python's csv module: the noisiest figure


def copy_floor(paths: list[Path]) -> tuple[float, int]:
    """COPY the same rows (decoded, as UTF-8 CSV) into a plain 11-column table."""
    from django.db import connection

    start = time.perf_counter()
    buffer, rows = io.StringIO(), 0
    writer = csv.writer(buffer)
    for path in paths:
        with path.open(newline="", encoding="mac_roman") as handle:
            reader = csv.reader(handle)
            next(reader)
            for row in reader:
                writer.writerow(row)
                rows += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (" + ", ".join(f"c{i} text" for i in range(11)) + ")")
        cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv)", buffer)
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first import")
    parser.add_argument("--first", action="store_true", help="only the first imports and the floors")
    parser.add_argument("--runs", type=int, default=3, help="first imports and floors to take the median of")
    args = parser.parse_args()
    paths = [SHARED / name for name in FILES]
    if not all(path.exists() for path in paths):
        sys.exit(f"The shared UPR Info CSVs are not at {SHARED}; this benchmark needs them.")
    new_database()
    if args.profile:
        import cProfile

        cProfile.runctx("import_all(paths)", globals(), {"paths": paths}, sort="cumtime")
        return
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    firsts, floors = [], []
    for run in range(args.runs):
        if run:
            new_database()
        first, lines, cpu = import_all(paths)
        measured = [copy_floor(paths) for _ in range(FLOORS_PER_RUN)]
        run_floors, rows = [floor for floor, _ in measured], measured[0][1]
        firsts.append(first)
        floors += run_floors
        shown = ", ".join(f"{floor:4.2f}" for floor in run_floors)
        print(f"run {run + 1}: first import {first:5.2f} s, COPY floor {shown} s; {cpu}")
    first, floor = statistics.median(firsts), statistics.median(floors)
    print("\n".join(lines))
    print(f"rows: {rows}")
    print(f"first import:   {first:6.2f} s  ({rows / first:,.0f} rows/s), median of {args.runs}")
    print(f"COPY floor:     {floor:6.2f} s  ({rows / floor:,.0f} rows/s), median of {len(floors)}")
    print(f"-> the first import is {first / floor:.1f}x the floor")
    if args.first:
        return
    second, relines, _ = import_all(paths)
    full, _, _ = import_all(paths, use_digest=False)
    print("\n".join(relines))
    print(f"re-import:      {second:6.2f} s  ({rows / second:,.0f} rows/s) -> {first / second:.1f}x faster")
    print(f"re-import without the file digest (every row matched and compared again): {full:6.2f} s")


if __name__ == "__main__":
    main()
