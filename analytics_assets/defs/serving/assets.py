"""Serving assets: the MongoDB documents of each collection fed from the lake, one asset each.

Before issue 16 the lake assets wrote these documents themselves, so every daily run waited
on MongoDB (at 1M messages a day, ~90% of the graph's wall time on the embedded server) before
its Parquet partition was in place. Now each lake asset only writes Parquet, and a serving
asset downstream of it (same daily partitions, `BackfillPolicy.single_run()`, eager with
`FOLLOW_UPSTREAM`) reads the stored partition(s) and replaces that day's documents as a unit:

* `serving_conversation_categories` ← `categorized_messages` (`conversation_categories`);
* `serving_conversation_analytics` ← `conversation_analytics` (`conversation_analytics`);
* `serving_user_analytics` ← `user_analytics` + `raw_conversations` (`user_analytics`, one
  document per user, upserted unless MongoDB holds a later state of that user).

Documents are field for field what the lake assets wrote before (`documents.py`). Each asset
has a check that the partition holds exactly the expected number of documents, so an
interrupted rewrite shows as a failed materialization and a failed check; re-running the
asset (or the retry job) converges. Nothing here is written to the lake.

No `from __future__ import annotations` here: Dagster checks the `context` annotation by
identity, and a string annotation fails that check.
"""

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from analytics_assets.automation import FOLLOW_UPSTREAM
from analytics_assets.defs.serving.documents import (
    active_users,
    category_documents,
    conversation_documents,
    rewrite_partitions,
    write_users,
)
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.privacy import pseudonymize
from analytics_assets.schemas import CATEGORIZED_SCHEMA, RAW_CONVERSATIONS_SCHEMA, load_columns
from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.conversations import PartitionedRepository
from analytics_assets.storage.partition_figures import add_partition_figures

SERVING_GROUP = "serving"
#: the columns of `categorized_messages` the category documents are built from.
CATEGORY_INPUT_COLUMNS = (
    "conversation_id",
    "app_id",
    "model_id",
    "created_at",
    "topic",
    "topic_confidence",
    "intent",
    "intent_confidence",
    "sentiment_score",
)


def _partition_documents_asset(name: str, upstream: str) -> Callable:
    """A serving asset that replaces each day's documents, built from one daily lake asset,
    and checks that each written day holds exactly them."""
    return asset(
        name=name,
        partitions_def=DAILY_PARTITIONS,
        backfill_policy=BackfillPolicy.single_run(),
        automation_condition=FOLLOW_UPSTREAM,
        group_name=SERVING_GROUP,
        ins={upstream: AssetIn(upstream)},
        check_specs=[
            AssetCheckSpec(
                "partition_documents_complete",
                asset=name,
                description="Each written day holds exactly the documents built from the lake.",
            )
        ],
        kinds={"polars", "mongodb"},
    )


def _partition_check(
    asset_name: str, repo: PartitionedRepository, written: dict[str, int]
) -> AssetCheckResult:
    stored = {key: repo.count({"partition": key}) for key in written}
    wrong = {key: (stored[key], n) for key, n in written.items() if stored[key] != n}
    return AssetCheckResult(
        check_name="partition_documents_complete",
        asset_key=asset_name,
        passed=not wrong,
        severity=AssetCheckSeverity.ERROR,
        metadata={"stored_vs_expected": MetadataValue.json({k: list(v) for k, v in wrong.items()})},
    )


def _replace_partitions(
    context: AssetExecutionContext,
    asset_name: str,
    repo: PartitionedRepository,
    documents_of: Callable[[str], list],
    started: float,
) -> MaterializeResult:
    """Replace each partition of the run with its documents, and say what was written."""
    written = rewrite_partitions(repo, context.partition_keys, documents_of)
    # Each partition's event shows its own documents; the run's total stays under `documents`.
    add_partition_figures(context, {key: {"documents": n} for key, n in written.items()})
    return MaterializeResult(
        metadata={
            "documents": sum(written.values()),
            "documents_per_day": MetadataValue.json(written),
            "seconds": round(time.perf_counter() - started, 3),
        },
        check_results=[_partition_check(asset_name, repo, written)],
    )


@_partition_documents_asset("serving_conversation_categories", "categorized_messages")
def serving_conversation_categories(
    context: AssetExecutionContext, mongo: MongoResource, categorized_messages: pl.LazyFrame
) -> MaterializeResult:
    """Per-conversation labels of each day (topic set, dominant intent, overall sentiment) in
    MongoDB `conversation_categories`, from that day's `categorized_messages`."""
    started = time.perf_counter()
    frame = load_columns(categorized_messages, CATEGORY_INPUT_COLUMNS, CATEGORIZED_SCHEMA)
    now = datetime.now(UTC).replace(microsecond=0)
    return _replace_partitions(
        context,
        "serving_conversation_categories",
        mongo.categories(),
        lambda key: category_documents(frame, key, now),
        started,
    )


@_partition_documents_asset("serving_conversation_analytics", "conversation_analytics")
def serving_conversation_analytics(
    context: AssetExecutionContext, mongo: MongoResource, conversation_analytics: pl.LazyFrame
) -> MaterializeResult:
    """One document per conversation and day in MongoDB `conversation_analytics` (replaced per
    day), from the `conversation_analytics` rows of the day."""
    started = time.perf_counter()
    rows = conversation_analytics.collect()
    stored = "date" in rows.columns  # nothing stored for these days: empty the partitions
    return _replace_partitions(
        context,
        "serving_conversation_analytics",
        mongo.conversations(),
        lambda key: conversation_documents(rows, key) if stored else [],
        started,
    )


@asset(
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    automation_condition=FOLLOW_UPSTREAM,
    group_name=SERVING_GROUP,
    ins={
        "user_analytics": AssetIn("user_analytics"),
        "raw_conversations": AssetIn("raw_conversations"),
    },
    check_specs=[
        AssetCheckSpec(
            "active_users_written",
            asset="serving_user_analytics",
            description="Every user active in the run was written, or MongoDB holds a later "
            "state of them.",
        )
    ],
    kinds={"polars", "mongodb"},
)
def serving_user_analytics(
    context: AssetExecutionContext,
    mongo: MongoResource,
    user_analytics: pl.LazyFrame,
    raw_conversations: pl.LazyFrame,
) -> MaterializeResult:
    """The state as of the run's last day of every user active in the run, in MongoDB
    `user_analytics` (`_id` = `user_key`), from `user_analytics` and the days' new
    conversations (a user who only started a conversation is active too)."""
    started = time.perf_counter()
    days = [date.fromisoformat(k) for k in context.partition_keys]
    states = user_analytics.collect()
    conversations = load_columns(
        raw_conversations, ("id", "from_end_user_id", "created_at"), RAW_CONVERSATIONS_SCHEMA
    )
    if "as_of" not in states.columns:
        states = pl.DataFrame(schema={"user_key": pl.String(), "active_today": pl.Boolean()})
        last = states
    else:
        states = states.filter(pl.col("as_of").is_in(days))
        last = states.filter(pl.col("as_of") == days[-1])
    starters = pseudonymize(
        conversations, "from_end_user_id", get_settings().pseudonym_key, "user_key"
    ).filter(pl.col("created_at").dt.date().is_in(days))
    active = active_users(states, starters)
    written, skipped = write_users(mongo, last, active, days[-1])
    present = last.filter(pl.col("user_key").is_in(active)).height
    return MaterializeResult(
        metadata={
            "active_users": len(active),
            "users_written": written,
            "users_skipped_newer_in_mongo": skipped,
            "seconds": round(time.perf_counter() - started, 3),
        },
        check_results=[
            AssetCheckResult(
                check_name="active_users_written",
                asset_key="serving_user_analytics",
                passed=written + skipped >= present,
                severity=AssetCheckSeverity.ERROR,
                metadata={"active_users_in_state": present, "written": written, "newer": skipped},
            )
        ],
    )
