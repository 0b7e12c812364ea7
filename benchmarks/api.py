"""Benchmark: the HTTP API's `/v1/metrics` and `/v1/conversations` under 16 concurrent clients.

What runs, all real: `analytics-assets`' FastAPI app on uvicorn on a free port (`--server
process`: `analytics-assets serve` in its own process, as deployed; `thread`: in a thread of
this process, sharing the GIL with the clients), httpx clients over HTTP with a read key
verified against the embedded MongoDB, and a Parquet lake in a temporary folder laid out as
the IO manager writes it.

The lake: `--days` days of demo data at `--messages` per day. Building it through the whole
asset graph would take hours on the shared 2-core machine (the graph runs ~765 s per 1M-message
day, mostly MongoDB writes, benchmarks/README.md), and the API reads only three tables, so they
are built from the pipeline's own pure functions, day by day:

* `raw_messages`: `demo.generator.generate_day` → `ingestion.normalize.normalize_messages`;
* `categorized_messages`: the generator's ground-truth labels (language, topic, intent, tone as
  sentiment) in `CATEGORIZED_SCHEMA`; the JAX categorizer is not run (label *values* do not
  change query cost; their cardinality is the taxonomy's);
* `conversation_analytics`: `analytics.prepare.prepare_messages` →
  `analytics.conversations.conversation_analytics`.

Measured, for each workload, `--requests` requests from 16 concurrent clients (threads, each its
own keep-alive connection), after one warm-up request per client:

* `metrics`: `GET /v1/metrics` over the whole range, `granularity=day`, `dimensions=topic`,
  measures messages, users, tokens, cost, latency_p95, error_rate;
* `conversations`: `GET /v1/conversations` pages of 50 over the whole range, each client
  following `next_cursor` (first pages and deeper pages alike);
* the naive baseline in the same run: per request, load the frames with Polars
  (`pl.read_parquet` of every day of the range, the columns it needs) and filter/aggregate them
  in Polars (conversations: read, sort, slice at the client's offset), the same
  16 clients calling it directly (no HTTP, which favours the baseline).

Run: `.venv/bin/python benchmarks/api.py [--days 30 --messages 100000 --requests 400]
[--lake DIR (built once, reused) --build-only --server process --baseline-clients 4]`.
Prints latency p50/p95 (ms) and requests/s per workload, and the ratio to the baseline.

`--soak 60 [--clients 64]` instead holds `--clients` keep-alive clients on the same server for
60 s cycling through metrics, conversations and health (`analytics_assets_tests/api/load.py`,
the load of the slow test): every status and error counted, the process's RSS sampled twice a
second (the server runs in this process).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import polars as pl

CLIENTS = 16
# The naive baseline reads only the columns it aggregates (whole rows would not fit in memory
# 16 times over at this scale); it is still one full read of every day per request.
NAIVE_RAW_COLUMNS = [
    "id",
    "created_at",
    "status",
    "error",
    "message_tokens",
    "answer_tokens",
    "total_price",
    "provider_response_latency",
]
MEASURES = "messages,users,tokens,cost,latency_p95,error_rate"


def build_lake(lake: Path, days: list[str], messages: int, seed: int) -> dict[str, int]:
    """Write the three tables the benchmarked endpoints read; returns rows per table."""
    from analytics_assets.defs.analytics.conversations import conversation_analytics
    from analytics_assets.defs.analytics.prepare import prepare_messages
    from analytics_assets.defs.categorization.messages import CATEGORIZED_SCHEMA
    from analytics_assets.defs.ingestion.normalize import normalize_messages
    from analytics_assets.partitions import day_window
    from analytics_assets.privacy import pseudonymize
    from analytics_assets.schemas import MESSAGES_WIRE_SCHEMA
    from analytics_assets.settings import get_settings
    from analytics_assets.sources.demo.generator import generate_labeled_day
    from analytics_assets.storage.atomic import write_parquet_atomic
    from analytics_assets.storage.parquet import PART_FILE, LakeIOManager

    key = get_settings().pseudonym_key
    fs, root = LakeIOManager(base_path=str(lake))._fs_root()
    counts = {"raw_messages": 0, "categorized_messages": 0, "conversation_analytics": 0}
    for day in days:
        _, labeled = generate_labeled_day(date.fromisoformat(day), seed, messages)
        raw = normalize_messages(
            labeled.select(MESSAGES_WIRE_SCHEMA.names()),
            asset="raw_messages",
            partition=day,
            window=day_window(day),
        ).rows
        truth = labeled.select(
            pl.col("id").alias("message_id"), "language", "topic", "intent", "tone"
        )
        keyed = pseudonymize(raw, "from_end_user_id", key, "user_key")
        labels = (
            keyed.select(
                message_id="id",
                conversation_id="conversation_id",
                app_id="app_id",
                model_id="model_id",
                user_key="user_key",
                created_at="created_at",
            )
            .join(truth, on="message_id", how="left")
            .with_columns(
                language_confidence=pl.lit(0.9),
                topic_confidence=pl.lit(0.8),
                intent_confidence=pl.lit(0.7),
                sentiment=pl.col("tone"),
                sentiment_score=pl.col("tone")
                .replace_strict({"positive": 0.6, "negative": -0.6}, default=0.0)
                .cast(pl.Float64),
                answer_sentiment=pl.lit("neutral"),
                answer_sentiment_score=pl.lit(0.0),
            )
            .select([pl.col(c).cast(t) for c, t in CATEGORIZED_SCHEMA.items()])
        )
        conversations = conversation_analytics(prepare_messages(raw, labels, None, key))
        for asset, frame in (
            ("raw_messages", raw),
            ("categorized_messages", labels),
            ("conversation_analytics", conversations),
        ):
            write_parquet_atomic(frame, fs, f"{root}/{asset}/date={day}/{PART_FILE}")
            counts[asset] += frame.height
        print(f"  {day}: {raw.height} messages, {conversations.height} conversations", flush=True)
    return counts


def drive(
    call: Callable[[int], None], requests: int, clients: int = CLIENTS
) -> tuple[list[float], float]:
    """`requests` calls of `call(client)` from CLIENTS threads; latencies (s) and the wall time
    from the first measured request's start to the last one's end (warm-ups excluded)."""
    latencies: list[float] = []
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    warmed = threading.Barrier(clients)
    per_client = [
        requests // clients + (1 if i < requests % clients else 0) for i in range(clients)
    ]

    def client(i: int) -> None:
        call(i)  # warm-up (connection, caches), not counted
        warmed.wait()
        mine = []
        first = time.perf_counter()
        for _ in range(per_client[i]):
            started = time.perf_counter()
            call(i)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            spans.append((first, time.perf_counter()))

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return latencies, max(e for _, e in spans) - min(s for s, _ in spans)


def summary(name: str, latencies: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000
    rps = len(ordered) / wall
    print(f"{name:<34} n={len(ordered):>4}  p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  {rps:7.1f} req/s")
    return {"p50": p50, "p95": p95, "rps": rps}


def naive_metrics(lake: Path, days: list[str]) -> pl.DataFrame:
    """The baseline: load the range's frames with Polars and aggregate them, per request."""
    raw = pl.concat(
        [
            pl.read_parquet(
                lake / "raw_messages" / f"date={d}" / "part-0.parquet", columns=NAIVE_RAW_COLUMNS
            )
            for d in days
        ]
    )
    labels = pl.concat(
        [
            pl.read_parquet(
                lake / "categorized_messages" / f"date={d}" / "part-0.parquet",
                columns=["message_id", "topic", "user_key"],
            )
            for d in days
        ]
    )
    joined = raw.join(
        labels.select("message_id", "topic", "user_key"),
        left_on="id",
        right_on="message_id",
        how="left",
    )
    is_error = (pl.col("status").fill_null("") == "error") | (
        pl.col("error").fill_null("").str.strip_chars() != ""
    )
    return joined.group_by(pl.col("created_at").dt.date().alias("day"), "topic").agg(
        messages=pl.len(),
        users=pl.col("user_key").n_unique(),
        tokens=(pl.col("message_tokens").fill_null(0) + pl.col("answer_tokens").fill_null(0)).sum(),
        cost=pl.col("total_price").fill_null(0).sum(),
        latency_p95=pl.col("provider_response_latency").quantile(0.95, "linear"),
        error_rate=is_error.mean(),
    )


def naive_page(lake: Path, days: list[str], offset: int) -> pl.DataFrame:
    frame = pl.concat(
        [
            pl.read_parquet(lake / "conversation_analytics" / f"date={d}" / "part-0.parquet")
            for d in days
        ]
    )
    return frame.sort(["first_message_at", "conversation_id"], descending=True).slice(offset, 50)


def soak_run(server, key: str, span: dict[str, str], args: argparse.Namespace, tmp: Path) -> int:
    """`--soak`: `args.clients` clients on the served app for `args.soak` seconds
    (`analytics_assets_tests.api.load`, the load of the slow test); 1 on any error or 5xx."""
    from analytics_assets.storage.mongo import embedded
    from analytics_assets_tests.api.load import request_mix, soak

    with server as url:
        result = soak(url, key, request_mix(span["from"], span["to"]), args.clients, args.soak)
    print(result.summary())
    print(f"errors: {result.errors[:5]}")
    print(f"RSS samples (MiB, every 0.5 s): {[round(m) for m in result.rss_samples_mb]}")
    embedded.stop_server(tmp / "mongo")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if result.errors or result.server_errors else 0


@contextlib.contextmanager
def serve_process(lake: Path, tmp: Path) -> Iterator[str]:
    """`analytics-assets serve` in its own process over `lake` and the benchmark's embedded
    MongoDB (database `api_bench`, where the key was created); yields the base URL."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "ANALYTICS_LAKE": str(lake),
        "MONGO_EMBEDDED_PATH": str(tmp / "mongo"),
        "MONGODB_URI": "",
        "MONGODB_DATABASE": "api_bench",
    }
    exe = Path(sys.executable).with_name("analytics-assets")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("analytics-assets serve did not start")
            try:
                httpx.get(f"{url}/v1/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--messages", type=int, default=100_000, help="demo messages per day")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per workload")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--lake", default="", help="build the lake here once and reuse it on later runs"
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=0,
        help="instead of the workloads: --clients clients for this many seconds (errors, RSS)",
    )
    parser.add_argument("--clients", type=int, default=64, help="clients of --soak")
    parser.add_argument(
        "--server",
        choices=("thread", "process"),
        default="thread",
        help="uvicorn in a thread of this process (shares the GIL with the 16 clients) or as "
        "`analytics-assets serve` in its own process (as deployed)",
    )
    parser.add_argument(
        "--baseline-clients",
        type=int,
        default=CLIENTS,
        help="concurrent naive clients (each holds a full load of the range in memory)",
    )
    parser.add_argument(
        "--uncached-requests",
        type=int,
        default=64,
        help="measured metrics requests that miss the answer cache (0: skip)",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build the --lake and stop (no measurement)"
    )
    parser.add_argument(
        "--baseline-requests", type=int, default=32, help="measured naive requests per workload"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    os.environ["MONGO_EMBEDDED_PATH"] = str(tmp / "mongo")
    os.environ["MONGODB_URI"] = ""
    os.environ["ANALYTICS_LAKE"] = str(tmp / "lake")
    import httpx

    from analytics_assets.api.app import create_app
    from analytics_assets.settings import get_settings
    from analytics_assets.storage.mongo import MongoResource, embedded
    from analytics_assets.storage.mongo.api_keys import ApiKeysRepository
    from analytics_assets.storage.parquet import LakeIOManager
    from analytics_assets_tests.api.conftest import serving

    first = date(2026, 10, 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(args.days)]
    span = {"from": days[0], "to": (first + timedelta(days=args.days)).isoformat()}
    lake = Path(args.lake) if args.lake else tmp / "lake"
    try:
        if (lake / "raw_messages" / f"date={days[-1]}").exists():
            print(f"reusing the lake in {lake}", flush=True)
        else:
            print(f"building {args.days} days x {args.messages} messages in {lake}", flush=True)
            started = time.perf_counter()
            counts = build_lake(lake, days, args.messages, args.seed)
            print(f"lake built in {time.perf_counter() - started:.1f} s: {counts}", flush=True)
        if args.build_only:
            return 0

        mongo = MongoResource(uri="", database="api_bench", embedded_path=str(tmp / "mongo"))
        key, _ = ApiKeysRepository(mongo.db()).create("benchmark", "read")
        app = (
            create_app(io=LakeIOManager(base_path=str(lake)), mongo=mongo, settings=get_settings())
            if args.server == "thread"
            else None
        )
        if args.soak:
            server = serving(app) if app is not None else serve_process(lake, tmp)
            return soak_run(server, key, span, args, tmp)
        results: dict[str, dict[str, float]] = {}
        with serving(app) if args.server == "thread" else serve_process(lake, tmp) as url:
            clients = [
                httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=300)
                for _ in range(CLIENTS)
            ]
            started = time.perf_counter()
            cold = clients[0].get(
                "/v1/metrics",
                params={**span, "measures": MEASURES, "dimensions": "topic", "granularity": "day"},
            )
            cold.raise_for_status()
            print(
                f"first /v1/metrics (cold: reads and prepares every partition): "
                f"{(time.perf_counter() - started) * 1000:.0f} ms, {len(cold.json()['data'])} rows"
            )

            def metrics(i: int) -> None:
                response = clients[i].get(
                    "/v1/metrics",
                    params={
                        **span,
                        "measures": MEASURES,
                        "dimensions": "topic",
                        "granularity": "day",
                    },
                )
                response.raise_for_status()

            cursors: list[str | None] = [None] * CLIENTS

            def conversations(i: int) -> None:
                params = {**span, "limit": 50}
                if cursors[i]:
                    params["cursor"] = cursors[i]
                response = clients[i].get("/v1/conversations", params=params)
                response.raise_for_status()
                cursors[i] = response.json()["next_cursor"]

            results["metrics (API)"] = summary(
                "metrics 30d day x topic (API)", *drive(metrics, args.requests)
            )
            counter = iter(range(1, 10**6))
            counter_lock = threading.Lock()

            def metrics_uncached(i: int) -> None:
                with counter_lock:
                    k = next(counter)
                # A distinct `from` second per request: the answer cache never hits, the
                # prepared partitions do (DuckDB runs over the 30 days' facts every time).
                start = f"{days[0]}T{k // 3600:02d}:{k // 60 % 60:02d}:{k % 60:02d}Z"
                response = clients[i].get(
                    "/v1/metrics",
                    params={
                        **span,
                        "from": start,
                        "measures": MEASURES,
                        "dimensions": "topic",
                        "granularity": "day",
                    },
                )
                response.raise_for_status()

            if args.uncached_requests:
                results["metrics uncached (API)"] = summary(
                    "metrics, answer cache missed (API)",
                    *drive(metrics_uncached, max(CLIENTS, args.uncached_requests)),
                )
            results["conversations (API)"] = summary(
                "conversations pages of 50 (API)", *drive(conversations, args.requests)
            )
            for client in clients:
                client.close()
        offsets = [0] * CLIENTS

        def naive_conv(i: int) -> None:
            naive_page(lake, days, offsets[i])
            offsets[i] += 50

        naive_clients = max(1, min(CLIENTS, args.baseline_clients))
        baseline_requests = max(naive_clients, args.baseline_requests)
        results["metrics (naive)"] = summary(
            f"metrics (naive Polars, {naive_clients} clients)",
            *drive(lambda i: naive_metrics(lake, days), baseline_requests, naive_clients),
        )
        results["conversations (naive)"] = summary(
            f"conversations (naive, {naive_clients} clients)",
            *drive(naive_conv, baseline_requests, naive_clients),
        )
        for name in ("metrics", "conversations"):
            api, naive = results[f"{name} (API)"], results[f"{name} (naive)"]
            print(
                f"{name}: p95 {naive['p95'] / api['p95']:.1f}x lower, "
                f"{api['rps'] / naive['rps']:.1f}x the requests/s of the naive baseline"
            )
        target = results["metrics (API)"]["p95"] < 200
        print(f"target metrics p95 < 200 ms: {'met' if target else 'NOT met'}")
        embedded.stop_server(tmp / "mongo")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
