"""Benchmark: documents/s of the serving write paths on the embedded server (issue 16).

Same documents (`mongo_bulk.make_frame`: `conversation_analytics` rows of one partition,
real validator and indexes from `ensure_schema`), each measurement in a fresh database:

* baseline: `replace_partition` (per-key `InsertOne`/`ReplaceOne` + delete of stale keys,
  the path the analytics assets used before) on SecantusDB as shipped (`--unpatched` server);
* `replace_partition` on the patched server (`storage/mongo/server_patches.py`);
* `rewrite_partition` (delete the partition, `insert_many(ordered=False)` in batches of
  `--batch`) on the patched server, on 1 and on `--connections` threads;
* each path twice in a row on the same database (first write, then the re-run that replaces
  the partition), since the platform re-runs partitions.

With `MONGODB_URI` set, the real server is measured instead (no patched/unpatched pair).
Run: `.venv/bin/python benchmarks/serving_writes.py --docs 20000`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mongo_bulk import make_frame  # noqa: E402

from analytics_assets.storage.mongo import MongoResource, close_clients, embedded  # noqa: E402
from analytics_assets.storage.mongo.conversations import ConversationsRepository  # noqa: E402


def start_unpatched(path: Path) -> str:
    """A second embedded server running SecantusDB as shipped (the baseline)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.Popen(
        [sys.executable, "-m", embedded.MODULE, "--path", str(path), "--port", "0", "--unpatched"],
        stdin=subprocess.DEVNULL,
        stdout=open(path / embedded.LOG_FILE, "ab"),  # noqa: SIM115 - the child keeps it
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = embedded.live_server(path)
        if state is not None:
            return state.uri
        time.sleep(0.2)
    raise RuntimeError(f"unpatched server did not start: {embedded._tail(path / 'server.log')}")


def measure(label: str, mongo: MongoResource, frame: pl.DataFrame, how: str, **kw) -> list[str]:
    mongo.ensure_schema()
    repo = ConversationsRepository(mongo.db())
    part = frame["partition"][0]
    lines = []
    for attempt in ("first write", "re-run"):
        started = time.perf_counter()
        if how == "replace":
            counts = repo.replace_partition(part, frame)
        else:
            counts = repo.rewrite_partition(part, frame, **kw)
        seconds = time.perf_counter() - started
        assert repo.count({"partition": part}) == frame.height, (label, counts)
        lines.append(
            f"| {label} | {attempt} | {frame.height:,} | {seconds:.2f} | "
            f"{frame.height / seconds:,.0f} |"
        )
        print(lines[-1], flush=True)
    mongo.db().client.drop_database(mongo.database)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=2)
    args = parser.parse_args(argv)
    # One partition: every document on the same day.
    frame = make_frame(args.docs).with_columns(
        date=pl.lit(make_frame(1)["date"][0]), partition=pl.lit(make_frame(1)["partition"][0])
    )
    tmp = Path(tempfile.mkdtemp(prefix="serving_writes_"))
    real = os.environ.get("MONGODB_URI", "")
    print("| path | pass | docs | seconds | docs/s |\n|---|---|---|---|---|", flush=True)
    try:

        def res(uri: str, name: str) -> MongoResource:
            return MongoResource(uri=uri, database=name, embedded_path=str(tmp / "patched"))

        patched_uri = real
        if not real:
            base_uri = start_unpatched(tmp / "unpatched")
            measure(
                "baseline: replace_partition, server as shipped",
                res(base_uri, "b0"),
                frame,
                "replace",
            )
        measure(
            "replace_partition" + ("" if real else ", patched server"),
            res(patched_uri, "b1"),
            frame,
            "replace",
        )
        measure(
            f"rewrite_partition, batch {args.batch}, 1 connection",
            res(patched_uri, "b2"),
            frame,
            "rewrite",
            batch=args.batch,
            connections=1,
        )
        measure(
            f"rewrite_partition, batch {args.batch}, {args.connections} connections",
            res(patched_uri, "b3"),
            frame,
            "rewrite",
            batch=args.batch,
            connections=args.connections,
        )
    finally:
        close_clients()
        if not real:
            embedded.stop_server(tmp / "unpatched")
            embedded.stop_server(tmp / "patched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
