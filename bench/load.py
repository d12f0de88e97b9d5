"""A small fixed-rate (open-model) HTTP load generator for loopback benchmarks.

    .venv/bin/python bench/load.py --rate 50 --duration 20 http://127.0.0.1:8000/health/ [URL ...]
    .venv/bin/python bench/load.py --rate 50 --urls-file urls.txt --base http://127.0.0.1:8000

Request i is due at start + i / rate, whatever happened to the earlier ones: the arrival
rate does not slow down when the server does (open model). A pool of worker threads sends
the requests; when every worker is busy, a due request waits in the queue and its latency
is still measured from the moment it was due, so queueing shows in the figures instead of
silently lowering the rate ("coordinated omission"). URLs are used in turn, cycling.

Bounded: exactly rate x duration requests are scheduled, each has a hard timeout
(`--timeout`, 5 s), and requests that could not even start by duration + timeout are
counted as errors ("not sent"). Only loopback hosts are accepted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Result:
    """Outcome of one load run: latencies in seconds, measured from each request's due time."""

    rate: float
    duration: float
    scheduled: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    error_kinds: Counter = field(default_factory=Counter)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    late_starts: int = 0  # requests that started more than 10 ms after their due time
    elapsed: float = 0.0

    @property
    def unanswered(self) -> int:
        """Requests without a response (timeout, not sent, connection error)."""
        return self.scheduled - len(self.latencies)

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile over every scheduled request; one without a response
        counts as infinitely slow, so a run that drops requests cannot look fast."""
        if not self.scheduled:
            return None
        ordered = sorted(self.latencies) + [math.inf] * self.unanswered
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    def summary(self) -> dict:
        def ms(value: float | None) -> float | None:  # JSON has no infinity: null
            return None if value is None or math.isinf(value) else round(value * 1000, 1)

        return {
            "rate": self.rate,
            "duration": self.duration,
            "scheduled": self.scheduled,
            "completed": len(self.latencies),
            "errors": self.errors,
            "error_kinds": dict(self.error_kinds),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "achieved_rps": round(len(self.latencies) / self.elapsed, 1) if self.elapsed else None,
            "late_starts": self.late_starts,
            "p50_ms": ms(self.percentile(50)),
            "p95_ms": ms(self.percentile(95)),
            "p99_ms": ms(self.percentile(99)),
            "max_ms": ms(self.percentile(100)),
            "slowest": [(ms(latency), url) for latency, url in sorted(self.slowest, reverse=True)[:5]],
        }


def _target(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise SystemExit(f"Only plain http on a loopback address may be load-tested, not {url!r}.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, parts.port or 80, path


def run(
    urls: list[str],
    *,
    rate: float,
    duration: float = 20.0,
    timeout: float = 5.0,
    workers: int = 64,
    ok_statuses: tuple[int, ...] = (200,),
    headers: dict[str, str] | None = None,
) -> Result:
    """Send rate x duration GET requests at a fixed arrival rate, cycling through `urls`."""
    if not urls:
        raise ValueError("no URL to load")
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    targets = [_target(url) for url in urls]
    total = int(rate * duration)
    result = Result(rate=rate, duration=duration, scheduled=total)
    jobs: queue.Queue = queue.Queue()
    lock = threading.Lock()
    start = time.perf_counter() + 0.05
    deadline = start + duration + timeout  # nothing starts after this
    send_headers = {"User-Agent": "upr-portal-bench/1", "Accept-Encoding": "identity"} | (headers or {})

    closed = threading.Event()  # set when the run returns: a straggler records nothing after

    def record(latency: float | None, status: int | None, error: str | None, url: str, late: bool) -> None:
        with lock:
            if closed.is_set():
                return
            if late:
                result.late_starts += 1
            if error is not None:
                result.errors += 1
                result.error_kinds[error] += 1
                return
            result.latencies.append(latency)
            result.statuses[status] += 1
            if status not in ok_statuses:
                result.errors += 1
                result.error_kinds[f"HTTP {status}"] += 1
            if len(result.slowest) < 5 or latency > min(result.slowest)[0]:
                result.slowest.append((latency, url))
                result.slowest.sort(reverse=True)
                del result.slowest[5:]

    def worker() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            due, (host, port, path) = job
            began = time.perf_counter()
            if began > deadline:
                record(None, None, "not sent", path, True)
                continue
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                conn.request("GET", path, headers=send_headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                record(time.perf_counter() - due, status, None, path, began - due > 0.010)
            except TimeoutError:
                record(None, None, "timeout", path, began - due > 0.010)
            except (OSError, http.client.HTTPException) as exc:
                record(None, None, type(exc).__name__, path, began - due > 0.010)
            finally:
                conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for i in range(total):
        due = start + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        jobs.put((due, targets[i % len(targets)]))
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(max(0.0, deadline + timeout - time.perf_counter()))
    with lock:
        closed.set()
    result.elapsed = time.perf_counter() - start
    lost = (
        total
        - len(result.latencies)
        - sum(count for kind, count in result.error_kinds.items() if not kind.startswith("HTTP "))
    )
    if lost > 0:  # threads still stuck past every deadline (should not happen with timeouts)
        result.errors += lost
        result.error_kinds["unfinished"] += lost
    return result


def sweep(urls: list[str], *, concurrency: int = 3, timeout: float = 10.0, limit: float = 300.0) -> int:
    """Request every URL once, `concurrency` at a time (closed loop: a new request only when
    one finished), to fill caches before a measured run. Stops after `limit` seconds.
    Returns the number of requests answered."""
    targets = [_target(url) for url in urls]
    pending: queue.Queue = queue.Queue()
    for target in targets:
        pending.put(target)
    stop_at = time.perf_counter() + limit
    answered = []

    def worker() -> None:
        while time.perf_counter() < stop_at:
            try:
                host, port, path = pending.get_nowait()
            except queue.Empty:
                return
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                conn.request("GET", path, headers={"User-Agent": "upr-portal-bench/1"})
                conn.getresponse().read()
                answered.append(path)
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, stop_at + timeout - time.perf_counter()))
    return len(answered)


def format_row(name: str, summary: dict) -> str:
    cells = [summary[key] for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
    shown = " ".join(f"{'inf' if cell is None else cell:>8}" for cell in cells)  # inf: no response
    return f"{name:<28} {summary['rate']:>6g} {summary['completed']:>7} {summary['errors']:>6} {shown}"


HEADER = (
    f"{'scenario':<28} {'rps':>6} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="*", help="full URLs (http://127.0.0.1:PORT/...)")
    parser.add_argument("--urls-file", help="a file of URLs or paths, one a line")
    parser.add_argument("--base", default="", help="prefix for paths read from --urls-file")
    parser.add_argument("--rate", type=float, required=True, help="requests per second (fixed arrival rate)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds (default 20)")
    parser.add_argument("--timeout", type=float, default=5.0, help="per-request timeout in seconds (default 5)")
    parser.add_argument("--workers", type=int, default=64, help="sending threads (default 64)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args()
    urls = list(args.urls)
    if args.urls_file:
        with open(args.urls_file) as handle:
            urls += [args.base + line.strip() for line in handle if line.strip()]
    result = run(urls, rate=args.rate, duration=args.duration, timeout=args.timeout, workers=args.workers)
    summary = result.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(HEADER)
    print(format_row("load", summary))
    print(
        f"statuses: {summary['statuses']}  error kinds: {summary['error_kinds']}  late starts: {summary['late_starts']}"
    )
    for latency, url in summary["slowest"]:
        print(f"  slow: {latency} ms {url}")


if __name__ == "__main__":
    main()
