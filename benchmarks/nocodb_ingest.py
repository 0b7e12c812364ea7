"""Benchmark: ingesting Dify messages from a local NocoDB, the client vs a naive sequential pager.

Setup (not timed): a real NocoDB 0.301.3 (the cached install of `tools/nocodb/`, SQLite) with
`--rows` demo messages (`demo.generator.generate_day`, no malformed rows) loaded through the
data API: bulk inserts of 100 records (NocoDB's maximum), `--load-workers` requests at a time.
The loaded server lives in `benchmarks/.cache/nocodb_ingest/<rows>-<seed>/` and is reused by
the next run with the same `--rows`/`--seed` (loading 100k rows takes a few minutes).

Timed, in the same run against the same server (each over the whole `created_at` window):

* baseline, "naive pager": what the replaced system meant to do once its paging bug is fixed:
  one `requests.Session`, `limit=25`, one request at a time, offset until `isLastPage`, a list
  of dicts, one `pl.from_dicts` at the end (no type normalisation at all);
* `NocoDBResource.fetch_messages` with `max_concurrency=1` (pages of 1000, sequential);
* `NocoDBResource.fetch_messages` as configured by default (pages of 1000, 4 at a time).

The client's output is the full wire-schema frame (JSON text, typed numbers, normalised
timestamps, ordered by created_at/id), checked against the loaded rows by count and ids.

Run: `.venv/bin/python benchmarks/nocodb_ingest.py` (options: `--rows`, `--seed`, `--repeats`,
`--load-workers`, `--fresh`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import requests

from analytics_assets.schemas import MESSAGES_WIRE_SCHEMA, conform
from analytics_assets.sources.demo.generator import generate_day
from analytics_assets.sources.nocodb import (
    SERVER_MAX_INSERT,
    NocoDBClient,
    NocoDBResource,
    created_window_filter,
    dify_table_columns,
)

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache" / "nocodb_ingest"
FIRST_DAY = date(2026, 10, 1)
PER_DAY = 10_000
BASE_TITLE = "dify_bench"


def _server_tool():  # type: ignore[no-untyped-def]
    path = ROOT / "tools" / "nocodb" / "nocodb_server.py"
    spec = importlib.util.spec_from_file_location("nocodb_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["nocodb_server"] = module
    spec.loader.exec_module(module)
    return module


def _messages(rows: int, seed: int) -> pl.DataFrame:
    frames, day = [], FIRST_DAY
    while sum(f.height for f in frames) < rows:
        _, msgs = generate_day(day, seed=seed, messages_per_day=PER_DAY, malformed=False)
        frames.append(msgs)
        day += timedelta(days=1)
    return conform(pl.concat(frames), MESSAGES_WIRE_SCHEMA).head(rows)


def _sign_up(url: str) -> str:
    session = requests.Session()
    answer = session.post(
        f"{url}/api/v1/auth/user/signup",
        json={"email": "bench@example.com", "password": "Bench-password-123"},
        timeout=60,
    )
    answer.raise_for_status()
    answer = session.post(
        f"{url}/api/v1/tokens",
        headers={"xc-auth": answer.json()["token"]},
        json={"description": "benchmark"},
        timeout=60,
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def _load(url: str, token: str, frame: pl.DataFrame, workers: int) -> dict[str, str]:
    client = NocoDBClient(url, token, timeout_s=300, max_retries=0, pool_size=workers)
    base_id = client.create_base(BASE_TITLE)
    client.create_table(base_id, "conversations", dify_table_columns("conversations"))
    table = client.create_table(base_id, "messages", dify_table_columns("messages"))
    records = frame.to_dicts()
    chunks = [records[i : i + SERVER_MAX_INSERT] for i in range(0, len(records), SERVER_MAX_INSERT)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, _ in enumerate(pool.map(lambda c: client.insert_records(table, c), chunks), 1):
            if done % 100 == 0:
                rate = done * SERVER_MAX_INSERT / (time.perf_counter() - started)
                print(
                    f"  loaded {done * SERVER_MAX_INSERT:,} rows ({rate:,.0f} rows/s)", flush=True
                )
    seconds = time.perf_counter() - started
    count = client.count(table)
    if count != frame.height:
        raise RuntimeError(f"loaded {count} rows, expected {frame.height}")
    print(f"  loaded {count:,} rows in {seconds:.1f}s ({count / seconds:,.0f} rows/s)")
    return {"token": token, "messages_table": table, "load_seconds": f"{seconds:.1f}"}


def naive_pager(url: str, token: str, table: str, where: str) -> pl.DataFrame:
    """The baseline: limit 25, one request at a time, dicts accumulated, one frame at the end."""
    session = requests.Session()
    session.headers["xc-token"] = token
    rows: list[dict] = []
    offset = 0
    while True:
        answer = session.get(
            f"{url}/api/v2/tables/{table}/records",
            params={"where": where, "sort": "Id", "limit": 25, "offset": offset},
            timeout=60,
        )
        answer.raise_for_status()
        data = answer.json()
        rows.extend(data["list"])
        if data["pageInfo"]["isLastPage"] or not data["list"]:
            break
        offset += 25
    return pl.from_dicts(rows, infer_schema_length=None)


def _time(fn, repeats: int) -> tuple[float, pl.DataFrame]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    assert out is not None
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each client variant")
    parser.add_argument("--baseline-repeats", type=int, default=1)
    parser.add_argument("--load-workers", type=int, default=6)
    parser.add_argument("--fresh", action="store_true", help="reload the server from scratch")
    parser.add_argument("--load-only", action="store_true", help="load the server, time nothing")
    args = parser.parse_args()

    tool = _server_tool()
    data_dir = CACHE / f"{args.rows}-{args.seed}"
    marker = data_dir / "loaded.json"
    if args.fresh:
        shutil.rmtree(data_dir, ignore_errors=True)
    frame = _messages(args.rows, args.seed)
    print(f"{frame.height:,} messages over {frame['created_at'].str.slice(0, 10).n_unique()} days")
    server = tool.start(data_dir)
    try:
        if marker.exists():
            loaded = json.loads(marker.read_text())
            print(f"reusing the loaded server in {data_dir}")
        else:
            loaded = _load(server.url, _sign_up(server.url), frame, args.load_workers)
            marker.write_text(json.dumps(loaded))
        if args.load_only:
            return
        token, table = loaded["token"], loaded["messages_table"]
        start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
        end = start + timedelta(days=366)
        where = created_window_filter(start, end)

        def client(concurrency: int) -> pl.DataFrame:
            resource = NocoDBResource(
                url=server.url,
                api_token=token,
                base=BASE_TITLE,
                messages_table=table,
                max_concurrency=concurrency,
            )
            return resource.fetch_messages(start, end)

        client(4)  # warm NocoDB's own caches (table meta) for every variant alike
        naive_s, naive = _time(
            lambda: naive_pager(server.url, token, table, where), args.baseline_repeats
        )
        seq_s, seq = _time(lambda: client(1), args.repeats)
        conc_s, conc = _time(lambda: client(4), args.repeats)
    finally:
        server.stop()

    expected = set(frame["id"])
    for name, out in (("naive", naive), ("client x1", seq), ("client x4", conc)):
        if out.height != frame.height or set(out["id"]) != expected:
            raise RuntimeError(f"{name}: {out.height} rows, ids differ from the loaded ones")
    assert conc.schema == MESSAGES_WIRE_SCHEMA
    n = frame.height
    runs = f"median of {args.repeats} client runs, {args.baseline_repeats} baseline"
    print(f"\nrows: {n:,} messages ({runs})")
    print("| reader | seconds | rows/s | ratio |")
    print("|---|---|---|---|")
    for name, secs in (
        ("baseline: naive pager, limit 25, sequential", naive_s),
        ("NocoDBResource, pages of 1000, max_concurrency=1", seq_s),
        ("NocoDBResource, pages of 1000, max_concurrency=4 (default)", conc_s),
    ):
        print(f"| {name} | {secs:.2f} | {n / secs:,.0f} | {naive_s / secs:.2f}x |")


if __name__ == "__main__":
    main()
