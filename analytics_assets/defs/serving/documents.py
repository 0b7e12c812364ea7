"""Lake frames in, serving documents out, written per partition (pure Polars + repositories).

The documents are exactly what the lake assets wrote to MongoDB themselves before issue 16
(same functions: `categorization.messages.conversation_categories`,
`analytics.conversations.to_mongo_frame`, `analytics.users.to_mongo_frame`); only who writes
them, and how, changed: a partitioned collection is replaced as a unit with
`Repository.rewrite_partition` (delete the partition, then `insert_many` in large batches).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import polars as pl
from pymongo.errors import PyMongoError

from analytics_assets.defs.analytics.conversations import to_mongo_frame as conversation_docs
from analytics_assets.defs.analytics.users import to_mongo_frame as user_docs
from analytics_assets.defs.categorization.messages import conversation_categories
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.base import day_start
from analytics_assets.storage.mongo.conversations import PartitionedRepository

#: documents per `insert_many` call: large, so the server's per-call work is paid rarely.
WRITE_BATCH = 10_000
#: parallel `insert_many` calls; the embedded server does not gain from more on 2 busy cores
#: (benchmarks/README.md, "Serving writes"); a real server may.
WRITE_CONNECTIONS = 1


def category_documents(
    categorized: pl.DataFrame, partition: str, created_at: datetime
) -> pl.DataFrame:
    """`conversation_categories` documents of one day from that day's categorized rows."""
    day = categorized.filter(pl.col("created_at").dt.date().cast(pl.String) == partition)
    return conversation_categories(day, partition, created_at)


def conversation_documents(rows: pl.DataFrame, partition: str) -> pl.DataFrame:
    """`conversation_analytics` documents of one day from the asset's rows."""
    docs = conversation_docs(rows)
    return docs.filter(pl.col("partition") == partition)


class PartitionWriteError(RuntimeError):
    """A serving partition's rewrite was cut off by MongoDB (a server gone, a network error)."""


def rewrite_partitions(
    repo: PartitionedRepository,
    keys: Sequence[str],
    documents_of: callable,
) -> dict[str, int]:
    """Replace each partition's documents with `documents_of(key)`; documents per partition."""
    written: dict[str, int] = {}
    for key in keys:
        docs = documents_of(key)
        try:
            counts = repo.rewrite_partition(
                key, docs, batch=WRITE_BATCH, connections=WRITE_CONNECTIONS
            )
        except PyMongoError as exc:
            # Name the partition: the driver's error only names a host and port.
            raise PartitionWriteError(
                f"writing partition {key} of MongoDB `{repo.collection.name}` failed "
                f"({type(exc).__name__}: {exc}); the partition may be incomplete: "
                "re-materialize it once MongoDB is back"
            ) from exc
        written[key] = counts.documents
    return written


def active_users(states: pl.DataFrame, starters: pl.DataFrame) -> list[str]:
    """Users with activity in the run: active on one of its days, or starting a conversation."""
    active = set(states.filter(pl.col("active_today"))["user_key"].to_list())
    active.update(starters["user_key"].drop_nulls().to_list())
    return sorted(active)


def write_users(
    mongo: MongoResource, state: pl.DataFrame, active: list[str], as_of: date
) -> tuple[int, int]:
    """Upsert the users active in the run, unless MongoDB already holds a later state of them
    (re-running an old day must not roll a user's document back). Users are one document
    each across days (`_id` = `user_key`), so this is an upsert, not a partition rewrite."""
    if not active:
        return 0, 0
    repo = mongo.users()
    newer: set[str] = set()
    for i in range(0, len(active), 5000):
        chunk = active[i : i + 5000]
        found = repo.find(
            {"_id": {"$in": chunk}, "as_of": {"$gt": day_start(as_of)}}, projection={"_id": 1}
        )
        newer.update(d["_id"] for d in found)
    rows = state.filter(pl.col("user_key").is_in(active) & ~pl.col("user_key").is_in(list(newer)))
    counts = repo.upsert_many(user_docs(rows))
    return counts.documents, len(newer)
