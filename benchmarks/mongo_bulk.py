"""Benchmark: bulk upsert of 100k documents vs a per-document `update_one`/`insert_one` loop.

Everything runs in one process against one server (the embedded SecantusDB server in a temp
dir, or `MONGODB_URI` when set), each measurement in its own fresh database carrying the real
`conversation_analytics` validator and indexes (`ensure_schema`), all dropped at the end.

* Bulk: `ConversationsRepository.upsert_many(frame)` (Polars frame → documents, `UpdateOne(...,
  upsert=True)` in chunks of 2000, `bulk_write(ordered=False)`): 100k documents into an empty
  collection (all inserts), then again (all matched: the idempotent re-run).
* Baseline: one `update_one(key, {$set: doc}, upsert=True)` round trip per document (new, then
  re-run), and one `insert_one` per document, on `--baseline-docs` documents (default 5000:
  the loop at 100k takes too long on the embedded server). Because the embedded server's cost
  per document grows with collection size and write history, the speed-up is computed against
  a size-matched bulk run on the same subset (fresh database, same documents); the 100k bulk
  rate is reported beside it. `insert_many` on the subset is the bulk counterpart of
  `insert_one`.

Run: `.venv/bin/python benchmarks/mongo_bulk.py` (options: `--docs`, `--baseline-docs`).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from analytics_assets.storage.mongo import MongoResource, close_clients, embedded
from analytics_assets.storage.mongo.base import iter_document_chunks, utcnow


def make_frame(n: int, seed: int = 11) -> pl.DataFrame:
    """`n` conversation_analytics rows over 30 days (unique conversation_id + date)."""
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    days = [start + timedelta(days=i % 30) for i in range(n)]
    return pl.DataFrame(
        {
            "conversation_id": [f"conv-{i:07d}" for i in range(n)],
            "date": days,
            "partition": [d.isoformat() for d in days],
            "app_id": [f"app-{i % 5}" for i in range(n)],
            "model_provider": ["openai"] * n,
            "model_id": ["chatgpt-4o-latest" if i % 3 else "gpt-4o-mini" for i in range(n)],
            "user_key": [f"{rng.getrandbits(64):016x}" for _ in range(n)],
            "message_count": [rng.randint(1, 40) for _ in range(n)],
            "total_tokens": [rng.randint(500, 60_000) for _ in range(n)],
            "total_price": [round(rng.uniform(0, 0.5), 6) for _ in range(n)],
            "first_message_at": [
                datetime(d.year, d.month, d.day, rng.randrange(24), tzinfo=UTC) for d in days
            ],
        }
    )


def timed(label: str, fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    print(f"  {label}: {seconds:.2f} s", flush=True)
    return seconds, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--baseline-docs", type=int, default=5_000)
    args = parser.parse_args()

    uri = os.environ.get("MONGODB_URI", "").strip()
    tmp = None if uri else tempfile.mkdtemp(prefix="mongo-bench-")
    run_id = uuid.uuid4().hex[:8]
    resources: list[MongoResource] = []

    def fresh(label: str) -> MongoResource:
        """A new database with the platform schema, dropped at the end."""
        resource = MongoResource(
            uri=uri, database=f"bench_{run_id}_{label}", embedded_path=tmp or ""
        )
        resource.ensure_schema()
        resources.append(resource)
        return resource

    server = "MONGODB_URI" if uri else f"embedded SecantusDB ({tmp})"
    frame = make_frame(args.docs)
    base_n = min(args.baseline_docs, args.docs)
    subset = frame.head(base_n)
    print(f"server: {server}; {args.docs} documents; baseline on {base_n}", flush=True)
    try:
        repo = fresh("full").conversations()
        print(f"bulk upsert_many of {args.docs} (ordered=False, chunks of 2000):")
        bulk_new, counts = timed("into empty collection", lambda: repo.upsert_many(frame))
        assert counts.inserted == args.docs, counts
        bulk_again, counts = timed("re-run (all matched)", lambda: repo.upsert_many(frame))
        assert counts.inserted == 0 and repo.count() == args.docs, counts

        print(f"size-matched comparison on {base_n} documents (fresh database each):")
        sub_repo = fresh("sub_bulk").conversations()
        sub_new, _ = timed("bulk upsert_many, new", lambda: sub_repo.upsert_many(subset))
        sub_again, _ = timed("bulk upsert_many, re-run", lambda: sub_repo.upsert_many(subset))

        loop_coll = fresh("sub_loop").db()["conversation_analytics"]
        docs = [d for chunk in iter_document_chunks(subset) for d in chunk]

        def update_loop() -> None:
            now = utcnow()
            for doc in docs:
                key = {"conversation_id": doc["conversation_id"], "date": doc["date"]}
                loop_coll.update_one(key, {"$set": {**doc, "updated_at": now}}, upsert=True)

        loop_new, _ = timed("update_one(upsert) loop, new", update_loop)
        loop_again, _ = timed("update_one(upsert) loop, re-run", update_loop)
        assert loop_coll.count_documents({}) == base_n

        now = utcnow()
        stamped = [{**d, "updated_at": now} for d in docs]
        insert_coll = fresh("sub_insert_one").db()["conversation_analytics"]
        insert_s, _ = timed(
            "insert_one loop", lambda: [insert_coll.insert_one(dict(d)) for d in stamped]
        )
        many_coll = fresh("sub_insert_many").db()["conversation_analytics"]
        many_s, _ = timed(
            "insert_many (ordered=False)",
            lambda: many_coll.insert_many([dict(d) for d in stamped], ordered=False),
        )
        assert insert_coll.count_documents({}) == many_coll.count_documents({}) == base_n

        rate = {
            f"bulk upsert {args.docs}, new": args.docs / bulk_new,
            f"bulk upsert {args.docs}, re-run": args.docs / bulk_again,
            f"bulk upsert {base_n}, new": base_n / sub_new,
            f"bulk upsert {base_n}, re-run": base_n / sub_again,
            f"update_one loop {base_n}, new": base_n / loop_new,
            f"update_one loop {base_n}, re-run": base_n / loop_again,
            f"insert_one loop {base_n}": base_n / insert_s,
            f"insert_many {base_n}": base_n / many_s,
        }
        print("\nresults (docs/s):")
        for label, value in rate.items():
            print(f"  {label:34s} {value:9,.0f}")
        print(f"\nspeed-up on {base_n} documents (same size, same run):")
        print(f"  bulk upsert vs update_one loop, new:    {loop_new / sub_new:.1f}x")
        print(f"  bulk upsert vs update_one loop, re-run: {loop_again / sub_again:.1f}x")
        print(f"  insert_many vs insert_one loop:         {insert_s / many_s:.1f}x")
    finally:
        for resource in resources:
            resource.client().drop_database(resource.database)
        close_clients()
        if tmp:
            embedded.stop_server(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
