"""A sustained load on the running API: N concurrent clients for S seconds (issue 18).

Used by the slow test (`test_load.py`, 64 clients for 10 s) and by `benchmarks/api.py --soak`
(64 clients for 60 s). Each client is a thread with its own keep-alive httpx connection that
cycles through a fixed mix of read endpoints as fast as answers come; every answer's status is
counted and every exception (refused, reset, timed out) is an error. The process's resident
memory is sampled twice a second from `/proc/self/status`: the server runs in this process
(uvicorn in a thread, `conftest.serving`), so growth over the run bounds the server's.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

MEASURES = "messages,users,tokens,cost,latency_p95,error_rate"


def rss_mb() -> float:
    """This process's resident set size in MiB (Linux `/proc`)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not in /proc/self/status")


def request_mix(first_day: str, end_day: str) -> list[tuple[str, dict[str, str | int]]]:
    """The read endpoints a dashboard calls, over the range [first_day, end_day)."""
    span = {"from": first_day, "to": end_day}
    return [
        (
            "/v1/metrics",
            {**span, "measures": MEASURES, "dimensions": "topic", "granularity": "day"},
        ),
        ("/v1/conversations", {**span, "limit": 50}),
        ("/v1/metrics", {**span, "measures": "messages,cost", "granularity": "day"}),
        ("/v1/health", {}),
    ]


@dataclass
class SoakResult:
    """What a soak measured: answers by status, errors, latencies and memory samples."""

    clients: int
    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_samples_mb: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def rss_growth_mb(self) -> float:
        """Peak RSS during the run minus RSS after the warm-up round."""
        return max(self.rss_samples_mb, default=self.rss_before_mb) - self.rss_before_mb

    def summary(self) -> str:
        ordered = sorted(self.latencies) or [0.0]
        statuses = dict(sorted(self.statuses.items()))
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        return (
            f"{self.clients} clients x {self.seconds:.0f} s: {self.requests} requests "
            f"({self.requests / self.seconds:.1f}/s), statuses {statuses}, "
            f"{len(self.errors)} errors, latency p50 {statistics.median(ordered) * 1000:.0f} ms "
            f"p95 {p95 * 1000:.0f} ms, RSS {self.rss_before_mb:.0f} MiB after warm-up, "
            f"peak {max(self.rss_samples_mb, default=0):.0f} MiB "
            f"({self.rss_growth_mb:+.0f} MiB), last {self.rss_samples_mb[-1]:.0f} MiB"
        )


def soak(
    url: str,
    key: str,
    mix: list[tuple[str, dict[str, str | int]]],
    clients: int = 64,
    seconds: float = 10.0,
    timeout: float = 60.0,
) -> SoakResult:
    """`clients` threads call `mix` round-robin against `url` for `seconds` after one warm-up
    round each (not counted); answers, exceptions, latencies and RSS samples are returned."""
    result = SoakResult(clients=clients, seconds=seconds)
    lock = threading.Lock()
    warmed = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(i: int) -> None:
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=timeout) as http:
            for path, params in mix:  # warm-up: connection, caches
                try:
                    http.get(path, params=params)
                except httpx.HTTPError:
                    pass
            warmed.wait()
            n = i  # clients start at different places in the mix
            while not stop.is_set():
                path, params = mix[n % len(mix)]
                n += 1
                started = time.perf_counter()
                try:
                    status = http.get(path, params=params).status_code
                except httpx.HTTPError as exc:
                    with lock:
                        result.errors.append(f"{path}: {type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    result.statuses[status] += 1
                    result.latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    warmed.wait()
    result.rss_before_mb = rss_mb()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        result.rss_samples_mb.append(rss_mb())
    stop.set()
    for thread in threads:
        thread.join(timeout + 5)
    return result
