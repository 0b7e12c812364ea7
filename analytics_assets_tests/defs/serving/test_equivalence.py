"""The serving write path leaves the same Parquet files and the same MongoDB documents as the
old in-asset write path, on the same input (issue 16).

Input: the analytics test lake (`analytics_lake.py`: raw messages, raw conversations and
categorized messages for January 2025). Two databases on one embedded server:

* **old**: what the lake assets did before the serving area, step by step, with the same pure
  functions: the analytics frames computed in memory for a range of days, then per day
  `conversation_categories` / `to_mongo_frame` written with `replace_partition` (per-key
  `InsertOne`/`ReplaceOne`), and the users active in the range upserted unless newer;
* **new**: the graph (lake assets, then the serving assets) materialized for the same range
  in one run, the serving assets reading the stored Parquet and writing with
  `rewrite_partition` (delete the partition, `insert_many`).

Documents are compared field for field, without `_id`, `_write_id`, `updated_at` (stamped per
write) and the category documents' `created_at` (the write's wall clock, as before). The
Parquet partitions written by the graph are compared with the frames the old assets returned.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from dagster import AssetSpec, DagsterInstance, materialize

from analytics_assets.defs.analytics import assets as analytics_assets
from analytics_assets.defs.analytics.conversations import conversation_analytics
from analytics_assets.defs.analytics.conversations import to_mongo_frame as conversation_docs
from analytics_assets.defs.analytics.prepare import load_prepared
from analytics_assets.defs.analytics.users import advance_state, empty_state
from analytics_assets.defs.analytics.users import to_mongo_frame as user_docs
from analytics_assets.defs.categorization.messages import conversation_categories
from analytics_assets.defs.serving import assets as serving_assets
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.privacy import pseudonymize
from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.base import day_start
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.defs.analytics.analytics_lake import build, write_lake

DAYS = [f"2025-01-{d:02d}" for d in range(1, 6)]
RANGE = {
    "dagster/asset_partition_range_start": DAYS[0],
    "dagster/asset_partition_range_end": DAYS[-1],
}
STAMPED = {"_id", "_write_id", "updated_at"}


def scan(lake: Path, asset_name: str) -> pl.LazyFrame:
    return pl.scan_parquet([lake / asset_name / f"date={d}" / "part-0.parquet" for d in DAYS])


def old_write_path(lake: Path, mongo: MongoResource) -> dict[str, pl.DataFrame]:
    """The pre-serving assets' MongoDB writes, on the same input; returns their frames."""
    _, conversations, prepared = load_prepared(
        scan(lake, "raw_messages"),
        scan(lake, "raw_conversations"),
        scan(lake, "categorized_messages"),
        get_settings().pseudonym_key,
    )
    now = datetime.now(UTC).replace(microsecond=0)
    # categorized_messages: per day, conversation_categories -> replace_partition
    categorized = scan(lake, "categorized_messages").collect()
    day = categorized["created_at"].dt.date().cast(pl.String)
    for key in DAYS:
        docs = conversation_categories(categorized.filter(day == key), key, now)
        mongo.categories().replace_partition(key, docs)
    # conversation_analytics: one frame for the range, per day replace_partition
    rows = conversation_analytics(prepared)
    docs = conversation_docs(rows)
    for key in DAYS:
        mongo.conversations().replace_partition(key, docs.filter(pl.col("partition") == key))
    # user_analytics: the day-by-day state, the active set, then the guarded upsert
    started = pseudonymize(
        conversations, "from_end_user_id", get_settings().pseudonym_key, "user_key"
    ).select(
        pl.col("id").alias("conversation_id"),
        "user_key",
        pl.col("created_at").dt.date().alias("date"),
    )
    state, states, active = empty_state(), [], set()
    for d in (date.fromisoformat(k) for k in DAYS):
        state = advance_state(
            state, prepared.filter(pl.col("date") == d), started.filter(pl.col("date") == d), d
        )
        states.append(state)
        active.update(state.filter(pl.col("active_today"))["user_key"].to_list())
        active.update(started.filter(pl.col("date") == d)["user_key"].drop_nulls().to_list())
    keys = sorted(active)
    newer = {
        d["_id"]
        for d in mongo.users().find(
            {"_id": {"$in": keys}, "as_of": {"$gt": day_start(DAYS[-1])}}, projection={"_id": 1}
        )
    }
    mongo.users().upsert_many(
        user_docs(state.filter(pl.col("user_key").is_in(keys) & ~pl.col("user_key").is_in(newer)))
    )
    return {"conversation_analytics": rows, "user_analytics": pl.concat(states)}


def documents(mongo: MongoResource, name: str, drop: set[str]) -> list[dict[str, Any]]:
    docs = [{k: v for k, v in d.items() if k not in drop} for d in mongo.db()[name].find()]
    return sorted(docs, key=lambda d: repr(sorted(d.items())))


def test_serving_assets_write_what_the_lake_assets_wrote(tmp_path: Path, mongo_server) -> None:
    lake = tmp_path / "lake"
    write_lake(lake, build())
    old = mongo_server.resource(database="serving_equivalence_old")
    new = mongo_server.resource(database="serving_equivalence_new")
    for mongo in (old, new):
        mongo.ensure_schema()
        for name in ("conversation_categories", "conversation_analytics", "user_analytics"):
            mongo.db()[name].delete_many({})

    frames = old_write_path(lake, old)

    upstream = [
        AssetSpec(k, partitions_def=DAILY_PARTITIONS)
        for k in ("raw_messages", "raw_conversations", "categorized_messages")
    ]
    graph = [
        analytics_assets.conversation_analytics,
        analytics_assets.user_analytics,
        serving_assets.serving_conversation_categories,
        serving_assets.serving_conversation_analytics,
        serving_assets.serving_user_analytics,
    ]
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*upstream, *graph],
            resources={"io_manager": LakeIOManager(base_path=str(lake)), "mongo": new},
            instance=instance,
            selection=[a.key for a in graph],
            tags=RANGE,
        )
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())

    # Same Parquet: the lake assets' stored partitions are the frames the old assets returned.
    for name, frame in frames.items():
        stored = scan(lake, name).collect()
        assert stored.height == frame.height > 0
        assert stored.equals(frame), name

    # Same MongoDB documents, field for field.
    for name, drop in (
        ("conversation_categories", STAMPED | {"created_at"}),
        ("conversation_analytics", STAMPED),
        ("user_analytics", STAMPED - {"_id"}),
    ):
        before, after = documents(old, name, drop), documents(new, name, drop)
        assert len(before) > 0, name
        assert after == before, name
    # Category documents carry the write time as before (one value per write).
    assert len(new.db()["conversation_categories"].distinct("created_at")) == 1
