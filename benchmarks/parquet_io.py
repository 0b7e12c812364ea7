"""Benchmark: 1M message rows written and read through LakeIOManager vs per-row I/O.

Both sides run in the same process on the same frame, so the ratio is what counts (absolute
seconds depend on the machine and its load). The frame is what `raw_messages` stores:

* `--source demo` (default): `demo.generator.generate_day` (1M messages of one day, Thai and
  four other languages, whole prompt histories in `message`) through
  `ingestion.normalize.normalize_messages`, i.e. exactly the raw layer (~2.2 GiB in memory);
* `--source synthetic`: the same columns built with numpy from a small vocabulary (smaller
  texts, compresses better), for a quick run.

* IO manager: `handle_output` of a daily partition (zstd, statistics, 128k-row groups,
  temp file + fsync + atomic rename), `load_input` as `pl.DataFrame`, and a lazy scan with a
  filter on one column (what a `pl.LazyFrame` consumer gets).
* Baseline ("naive per-row"): every row serialised and written on its own (`json.dumps` +
  `write` per row, JSON Lines), and read back line by line with `json.loads` into a frame.
  Measured on a random sample of `--baseline-rows` rows (default 100,000): the per-row time is then
  extrapolated linearly to the full size, and the output says so.

Run: `.venv/bin/python benchmarks/parquet_io.py` (options: `--rows`, `--source`,
`--baseline-rows`, `--repeat`, `--s3` to repeat the IO-manager side against a local moto S3
server). The IO manager and plain-write sides report the median of `--repeat` runs; the slow
baseline runs once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl
from dagster import (
    AssetKey,
    DagsterType,
    DailyPartitionsDefinition,
    build_input_context,
    build_output_context,
)

from analytics_assets.schemas import RAW_MESSAGES_SCHEMA, conform
from analytics_assets.storage.parquet import LakeIOManager

DAY = "2025-03-03"
DAILY_PARTITIONS = DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
WORDS = (
    "hello please help account balance transfer bank card password reset order refund "
    "delivery invoice thanks sorry wait error login app update price plan cancel change "
    "address phone email verify code limit fee interest loan payment schedule branch"
).split()


def _texts(rng: np.random.Generator, pool_size: int, min_words: int, max_words: int) -> list[str]:
    lengths = rng.integers(min_words, max_words + 1, pool_size)
    return [" ".join(rng.choice(WORDS, n)) for n in lengths]


def message_frame(n: int, seed: int = 7) -> pl.DataFrame:
    """`n` rows shaped like `raw_messages` (one UTC day), built vectorised."""
    rng = np.random.default_rng(seed)
    queries = pl.Series("q", _texts(rng, 5_000, 3, 25))
    answers = pl.Series("a", _texts(rng, 5_000, 20, 120))
    start = int(datetime.fromisoformat(DAY).replace(tzinfo=UTC).timestamp() * 1_000_000)
    created = np.sort(rng.integers(start, start + 86_400_000_000, n))
    base = pl.DataFrame(
        {
            "id_a": rng.integers(0, 2**62, n),
            "id_b": rng.integers(0, 2**62, n),
            "app": rng.integers(0, 5, n),
            "model": rng.integers(0, 3, n),
            "conv": rng.integers(0, n // 4 + 1, n),
            "user": rng.integers(0, n // 20 + 1, n),
            "q": rng.integers(0, len(queries), n),
            "a": rng.integers(0, len(answers), n),
            "message_tokens": rng.integers(5, 400, n),
            "answer_tokens": rng.integers(20, 900, n),
            "total_price": rng.random(n) / 100,
            "provider_response_latency": rng.gamma(2.0, 0.8, n),
            "created": created,
            "agent_based": rng.random(n) < 0.1,
        }
    )
    models = pl.Series(["gpt-4o", "gpt-4o-mini", "claude-3"])
    query = queries.gather(base["q"])
    frame = base.select(
        id=pl.format("{}-{}", "id_a", "id_b"),
        app_id=pl.format("app-{}", "app"),
        model_provider=pl.lit("openai"),
        model_id=pl.col("model").map_batches(lambda s: models.gather(s)),
        conversation_id=pl.format("conv-{}", "conv"),
        inputs=pl.format('{{"name": "user {}", "balance": {}}}', "conv", pl.col("conv") % 997),
        query=pl.lit(query),
        message=pl.format('[{{"role": "user", "text": "{}"}}]', pl.lit(query)),
        answer=pl.lit(answers.gather(base["a"])),
        message_tokens="message_tokens",
        answer_tokens="answer_tokens",
        total_price="total_price",
        currency=pl.lit("USD"),
        provider_response_latency="provider_response_latency",
        from_source=pl.lit("api"),
        from_end_user_id=pl.format("user-{}", "user"),
        created_at=pl.col("created").cast(pl.Datetime("us", "UTC")),
        updated_at=(pl.col("created") + 1_000_000).cast(pl.Datetime("us", "UTC")),
        agent_based="agent_based",
        status=pl.lit("normal"),
        invoke_from=pl.lit("service-api"),
    )
    return conform(frame, RAW_MESSAGES_SCHEMA)


def demo_frame(n: int, seed: int = 42) -> pl.DataFrame:
    """`n` demo messages of one day, normalized into the raw schema (what raw_messages holds)."""
    from analytics_assets.defs.ingestion.normalize import normalize_messages
    from analytics_assets.sources.demo.generator import generate_day

    _, wire = generate_day(date.fromisoformat(DAY), seed, n, malformed=False)
    return normalize_messages(wire, asset="raw_messages", partition=DAY).rows


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def io_manager_side(io: LakeIOManager, df: pl.DataFrame) -> dict[str, float]:
    key = AssetKey("raw_messages")
    out = build_output_context(
        asset_key=key, partition_key=DAY, asset_partitions_def=DAILY_PARTITIONS
    )
    write_s, _ = timed(lambda: io.handle_output(out, df))
    size = out.get_logged_metadata()["bytes"].value

    def ctx(dagster_type: DagsterType | None = None):
        return build_input_context(
            asset_key=key,
            partition_key=DAY,
            asset_partitions_def=DAILY_PARTITIONS,
            dagster_type=dagster_type,
        )

    read_s, loaded = timed(lambda: io.load_input(ctx()))
    assert loaded.height == df.height and loaded.schema == df.schema
    lazy_type = DagsterType(
        lambda _, v: isinstance(v, pl.LazyFrame), name="LazyFrame", typing_type=pl.LazyFrame
    )
    app = df.get_column("app_id").drop_nulls().mode().sort()[0]  # filter on one app
    scan_s, hits = timed(
        lambda: (
            io.load_input(ctx(lazy_type))
            .filter(pl.col("app_id") == app)
            .select(pl.len(), pl.col("answer_tokens").sum())
            .collect()
        )
    )
    expected = df.filter(pl.col("app_id") == app).height
    assert hits.item(0, 0) == expected
    return {"write_s": write_s, "read_s": read_s, "scan_s": scan_s, "bytes": size}


def naive_side(df: pl.DataFrame, folder: Path) -> dict[str, float]:
    path = folder / "messages.jsonl"

    def write() -> None:
        with path.open("w", encoding="utf-8") as f:
            for row in df.iter_rows(named=True):
                f.write(json.dumps(row, default=str) + "\n")

    def read() -> pl.DataFrame:
        timestamps = [c for c, t in df.schema.items() if isinstance(t, pl.Datetime)]
        rows = []
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                for c in timestamps:
                    row[c] = datetime.fromisoformat(row[c]) if row[c] else None
                rows.append(row)
        return pl.DataFrame(rows, schema=df.schema)

    write_s, _ = timed(write)
    read_s, loaded = timed(read)
    assert loaded.height == df.height
    return {"write_s": write_s, "read_s": read_s, "bytes": path.stat().st_size}


def direct_write(df: pl.DataFrame, folder: Path) -> float:
    """Plain `write_parquet` with the same options, no temp file/fsync/rename: the cost of
    atomicity, for information."""
    seconds, _ = timed(
        lambda: df.write_parquet(
            folder / "direct.parquet", compression="zstd", row_group_size=131_072
        )
    )
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--source", choices=["demo", "synthetic"], default="demo")
    parser.add_argument("--s3", action="store_true", help="also run against a moto S3 server")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast sides (median)")
    args = parser.parse_args(argv)
    baseline_rows = min(args.baseline_rows or args.rows, args.rows)

    build = demo_frame if args.source == "demo" else message_frame
    build_s, df = timed(lambda: build(args.rows))
    print(
        f"frame: {df.height:,} rows x {df.width} columns, {df.estimated_size() / 2**20:.0f} MiB"
        f" in memory (built in {build_s:.1f}s)"
    )
    folder = Path(tempfile.mkdtemp(prefix="parquet-bench-"))
    try:
        io = LakeIOManager(base_path=str(folder / "lake"))
        # The cheap sides run `--repeat` times (median), alternating, to damp machine noise.
        runs, directs = [], []
        for _ in range(args.repeat):
            runs.append(io_manager_side(io, df))
            directs.append(direct_write(df, folder))
        ours = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        direct_s = statistics.median(directs)
        # A random sample, so the extrapolated per-row cost is representative of the frame.
        naive = naive_side(df.sample(min(baseline_rows, df.height), seed=1), folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    scale = df.height / min(baseline_rows, df.height)
    extrapolated = f" (extrapolated from {baseline_rows:,} rows)" if scale != 1 else ""
    naive_write = naive["write_s"] * scale
    naive_read = naive["read_s"] * scale

    print(f"\nlocal disk, {df.height:,} rows; baseline = per-row JSON lines{extrapolated}")
    print(f"{'operation':<34}{'IO manager':>12}{'baseline':>12}{'speed-up':>10}")
    print(
        f"{'write':<34}{ours['write_s']:>11.2f}s{naive_write:>11.2f}s"
        f"{naive_write / ours['write_s']:>9.1f}x"
    )
    print(
        f"{'read (pl.DataFrame)':<34}{ours['read_s']:>11.2f}s{naive_read:>11.2f}s"
        f"{naive_read / ours['read_s']:>9.1f}x"
    )
    print(f"{'lazy scan + filter + aggregate':<34}{ours['scan_s']:>11.2f}s{'-':>12}")
    print(
        f"{'size on disk':<34}{ours['bytes'] / 2**20:>10.1f}MB"
        f"{naive['bytes'] * scale / 2**20:>10.1f}MB"
    )
    print(
        f"plain write_parquet, no atomic replace: {direct_s:.2f}s "
        f"(atomic replace overhead {ours['write_s'] - direct_s:+.2f}s)"
    )

    if args.s3:
        from moto.server import ThreadedMotoServer

        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(k, "benchmark")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            import boto3

            boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
                Bucket="bench"
            )
            s3 = io_manager_side(
                LakeIOManager(
                    base_path="s3://bench/lake", s3_endpoint_url=endpoint, aws_region="us-east-1"
                ),
                df,
            )
        finally:
            server.stop()
        print(
            f"\nmoto S3 server on localhost (in-process, not real S3 speed): "
            f"write {s3['write_s']:.2f}s, read {s3['read_s']:.2f}s, "
            f"lazy scan {s3['scan_s']:.2f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
