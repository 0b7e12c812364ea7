"""What the API reads, assembled per day from the lake and cached (see `lake.py`).

Two per-day tables back the lake endpoints:

* **message facts** (`/v1/metrics`, user profiles): one row per message, built by the pipeline's
  own `prepare_messages` from that day's `raw_messages` and `categorized_messages`, so a figure
  here is defined exactly as in the reports (tokens null-safe, error = status or error text,
  unlabeled = "unknown", users = distinct pseudonymous keys). Deleted users are dropped with the
  pseudonymous key, and the deletion list is part of the cache key, so a deletion shows at once,
  also over a partition that a run which started before the deletion wrote afterwards.
* **conversation rows** (`/v1/conversations`): that day's `conversation_analytics` partition.

Row-level data, not pre-aggregated figures: distinct users and percentiles do not add up over
days, so every figure is computed from rows for exactly the asked range.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence

import polars as pl
import pyarrow as pa

from analytics_assets.api.lake import Lake, PartitionCache
from analytics_assets.defs.analytics.prepare import (
    CATEGORIZED_COLUMNS,
    RAW_MESSAGE_COLUMNS,
    prepare_messages,
)
from analytics_assets.deletions import drop_deleted_keys
from analytics_assets.schemas import RAW_MESSAGES_SCHEMA
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.deleted_users import DeletedUsersRepository

# Columns of the facts table. `ts` is the message time as a naive UTC timestamp, so DuckDB's
# date_trunc needs no time-zone support (and cannot apply the server's local zone).
FACT_COLUMNS = (
    "message_id",
    "conversation_id",
    "app_id",
    "model_provider",
    "model_id",
    "user_key",
    "ts",
    "date",
    "message_tokens",
    "answer_tokens",
    "total_tokens",
    "total_cost",
    "latency",
    "is_error",
    "language",
    "topic",
    "intent",
    "sentiment",
    "sentiment_score",
)
CONVERSATION_ASSET = "conversation_analytics"
DELETED_TTL_S = 2.0


def build_facts(
    raw_messages: pl.DataFrame,
    categorized: pl.DataFrame | None,
    pseudonym_key: str,
    deleted: frozenset[str],
) -> pl.DataFrame:
    """One day's raw messages + labels → the facts table (pure)."""
    if not raw_messages.width:
        raw_messages = pl.DataFrame(schema={c: RAW_MESSAGES_SCHEMA[c] for c in RAW_MESSAGE_COLUMNS})
    labels = (
        categorized if categorized is not None and "message_id" in categorized.columns else None
    )
    prepared = drop_deleted_keys(
        prepare_messages(raw_messages, labels, None, pseudonym_key), deleted
    )
    return prepared.with_columns(
        pl.col("created_at").dt.replace_time_zone(None).alias("ts")
    ).select(FACT_COLUMNS)


class Store:
    """Per-day facts and conversation rows for a range, through the partition cache."""

    def __init__(
        self, lake: Lake, mongo: MongoResource, cache: PartitionCache, pseudonym_key: str
    ) -> None:
        self.lake = lake
        self.mongo = mongo
        self.cache = cache
        self.pseudonym_key = pseudonym_key
        self._deleted: tuple[float, frozenset[str]] = (0.0, frozenset())
        self._deleted_lock = threading.Lock()
        self._refreshing = False

    # -- deletion list ---------------------------------------------------------------------

    def deleted(self) -> frozenset[str]:
        """The deletion list, re-read at most every `DELETED_TTL_S` seconds by one request at a
        time: the others keep the last list meanwhile (unless a deletion here emptied it), so
        a burst of requests at expiry does not queue on MongoDB."""
        with self._deleted_lock:
            at, keys = self._deleted
            if time.monotonic() - at < DELETED_TTL_S or (self._refreshing and at > 0):
                return keys
            self._refreshing = True
        try:
            keys = DeletedUsersRepository(self.mongo.db()).keys()
        finally:
            with self._deleted_lock:
                self._refreshing = False
        with self._deleted_lock:
            self._deleted = (time.monotonic(), keys)
        return keys

    def forget_deleted(self) -> None:
        """Re-read the deletion list on the next request (after a deletion here)."""
        with self._deleted_lock:
            self._deleted = (0.0, frozenset())

    @staticmethod
    def _deleted_tag(deleted: frozenset[str]) -> str:
        return hashlib.sha256("\n".join(sorted(deleted)).encode()).hexdigest()[:16]

    # -- tables ----------------------------------------------------------------------------

    def facts(self, days: Sequence[str]) -> tuple[Callable[[], pa.Table], list[str], tuple]:
        """The facts of `days` (those with stored raw messages) as a function that assembles
        them, the days found, and the identity of everything they are built from: a cached
        answer for that identity needs no table at all."""
        deleted = self.deleted()
        tag = self._deleted_tag(deleted)
        raw = self.lake.partitions("raw_messages", days)
        labels = self.lake.partitions("categorized_messages", days)
        builds = []
        identity: list = [tag]
        for day, part in raw.items():
            label_part = labels.get(day)
            fingerprint = (
                part.fingerprint,
                label_part.fingerprint if label_part else None,
                tag,
            )

            def build(part=part, label_part=label_part) -> pa.Table:
                raw_frame = pl.from_arrow(self.lake.read(part, RAW_MESSAGE_COLUMNS))
                label_frame = (
                    pl.from_arrow(self.lake.read(label_part, CATEGORIZED_COLUMNS))
                    if label_part
                    else None
                )
                facts = build_facts(raw_frame, label_frame, self.pseudonym_key, deleted)
                return facts.to_arrow()

            identity.append((day, fingerprint[:2]))
            builds.append((day, fingerprint, build))

        def table() -> pa.Table:
            parts = [self.cache.get("facts", day, fp, build) for day, fp, build in builds]
            return _concat(parts, FACT_SCHEMA)

        return table, list(raw), tuple(identity)

    def conversations(self, days: Sequence[str]) -> tuple[Callable[[], pa.Table], list[str], tuple]:
        """`conversation_analytics` rows of `days` (without deleted users) as a function that
        assembles them, the days found and their identity (for the result cache)."""
        deleted = self.deleted()
        tag = self._deleted_tag(deleted)
        parts = self.lake.partitions(CONVERSATION_ASSET, days)
        builds = []
        for day, part in parts.items():

            def build(part=part) -> pa.Table:
                frame = pl.from_arrow(self.lake.read(part))
                frame = drop_deleted_keys(frame, deleted)
                return frame.with_columns(
                    pl.col("first_message_at", "last_message_at").dt.replace_time_zone(None)
                ).to_arrow()

            builds.append((day, (part.fingerprint, tag), build))
        identity = (tag, *((day, part.fingerprint) for day, part in parts.items()))

        def table() -> pa.Table:
            found = [self.cache.get("conversations", day, fp, build) for day, fp, build in builds]
            return _concat(found, None)

        return table, list(parts), identity


FACT_SCHEMA = build_facts(pl.DataFrame(), None, "schema", frozenset()).to_arrow().schema


def _concat(tables: list[pa.Table], schema: pa.Schema | None) -> pa.Table:
    if not tables:
        return schema.empty_table() if schema is not None else pa.table({})
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")
