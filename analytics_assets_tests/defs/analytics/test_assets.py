"""conversation_analytics, model_performance, user_analytics on a real instance, IO manager and
MongoDB, over a month of upstream partitions written to the lake (`analytics_lake.py`).

The month is materialized as ONE run (single-run backfill); then single days are re-run to show
that partitions and MongoDB documents are replaced, never added to. Expected values come from
DuckDB SQL over the raw Parquet, written here independently of `analytics/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from dagster import AssetSpec, DagsterInstance, materialize

from analytics_assets.defs.analytics import assets as analytics_assets
from analytics_assets.defs.serving import assets as serving_assets
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.privacy import pseudonym
from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.defs.analytics.analytics_lake import build, write_lake

UPSTREAM = [
    AssetSpec(k, partitions_def=DAILY_PARTITIONS)
    for k in ("raw_messages", "raw_conversations", "categorized_messages")
]
ASSETS = [
    analytics_assets.conversation_analytics,
    analytics_assets.model_performance,
    analytics_assets.user_analytics,
    # MongoDB documents: written downstream by the serving area.
    serving_assets.serving_conversation_analytics,
    serving_assets.serving_user_analytics,
]
SELECTION = [
    "conversation_analytics",
    "model_performance",
    "user_analytics",
    "serving_conversation_analytics",
    "serving_user_analytics",
]
MONTH = {
    "dagster/asset_partition_range_start": "2025-01-01",
    "dagster/asset_partition_range_end": "2025-01-31",
}


def run(lake: Path, mongo: MongoResource, instance: DagsterInstance, **kwargs: Any):
    resources = {"io_manager": LakeIOManager(base_path=str(lake)), "mongo": mongo}
    kwargs.setdefault("selection", SELECTION)
    return materialize([*UPSTREAM, *ASSETS], resources=resources, instance=instance, **kwargs)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory, mongo_server) -> Iterator[dict[str, Any]]:
    lake = tmp_path_factory.mktemp("analytics") / "lake"
    write_lake(lake, build())
    mongo: MongoResource = mongo_server.resource(database="analytics_asset_tests")
    for name in ("conversation_analytics", "user_analytics"):
        mongo.db()[name].delete_many({})
    with DagsterInstance.ephemeral() as instance:
        result = run(lake, mongo, instance, tags=MONTH)
        yield {"lake": lake, "mongo": mongo, "result": result, "instance": instance}


def sql(lake: Path, query: str) -> pl.DataFrame:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet('{lake}/raw_messages/*/*.parquet')")
    return pl.from_arrow(con.sql(query).to_arrow_table())


def test_month_in_one_run_with_passing_checks(month) -> None:
    result = month["result"]
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {(e.asset_key.path[-1], e.check_name) for e in evaluations} == {
        ("conversation_analytics", "unique_keys"),
        ("conversation_analytics", "no_negative_figures"),
        ("conversation_analytics", "covers_raw_messages"),
        ("model_performance", "unique_keys"),
        ("model_performance", "no_negative_figures"),
        ("model_performance", "reconciles_with_raw_messages"),
        ("user_analytics", "unique_keys"),
        ("user_analytics", "no_negative_figures"),
        ("user_analytics", "state_is_continuous"),
        ("serving_conversation_analytics", "partition_documents_complete"),
        ("serving_user_analytics", "active_users_written"),
    }
    assert all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]
    per_asset: dict[str, set[str]] = {}
    for event in result.get_asset_materialization_events():
        m = event.event_specific_data.materialization
        per_asset.setdefault(m.asset_key.path[-1], set()).add(m.partition)
    assert {k: len(v) for k, v in per_asset.items()} == {a: 31 for a in SELECTION}


def test_conversation_rows_match_raw_messages_per_day(month) -> None:
    lake = month["lake"]
    expected = sql(
        lake,
        """
        SELECT created_at::DATE AS date, conversation_id, count(*) AS message_count,
               coalesce(sum(message_tokens), 0) + coalesce(sum(answer_tokens), 0) AS total_tokens,
               max(provider_response_latency) AS latency_max,
               min(created_at) AS first_message_at
        FROM raw GROUP BY 1, 2 ORDER BY 1, 2
        """,
    )
    stored = pl.read_parquet(f"{lake}/conversation_analytics/*/*.parquet").sort(
        "date", "conversation_id"
    )
    got = stored.select(expected.columns)
    assert got.height == expected.height
    assert got.select("date", "conversation_id", "message_count", "total_tokens").rows() == (
        expected.select("date", "conversation_id", "message_count", "total_tokens").rows()
    )
    assert got["latency_max"].to_list() == expected["latency_max"].to_list()
    # a conversation past midnight: one row per day it was active on
    assert stored.group_by("conversation_id").len()["len"].max() > 1
    # MongoDB holds the same rows, keyed by conversation and day, pseudonymous only
    docs = month["mongo"].conversations()
    assert docs.count() == stored.height
    one = docs.find({"partition": "2025-01-10"}, limit=1)[0]
    assert "from_end_user_id" not in one and "inputs" not in one
    assert one["user_key"] and len(one["user_key"]) == 16


def test_model_latency_percentiles_match_duckdb(month) -> None:
    lake = month["lake"]
    expected = sql(
        lake,
        """
        SELECT created_at::DATE AS date, app_id, model_id, count(*) AS messages,
               quantile_cont(provider_response_latency, 0.5) AS latency_p50,
               quantile_cont(provider_response_latency, 0.95) AS latency_p95,
               quantile_cont(provider_response_latency, 0.99) AS latency_p99
        FROM raw GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """,
    )
    stored = pl.read_parquet(f"{lake}/model_performance/*/*.parquet").sort(
        "date", "app_id", "model_id"
    )
    assert (
        stored.select("date", "app_id", "model_id", "messages").rows()
        == expected.select("date", "app_id", "model_id", "messages").rows()
    )
    for column in ("latency_p50", "latency_p95", "latency_p99"):
        diff = (stored[column] - expected[column]).abs().max()
        assert diff is not None and diff < 1e-9, column


def user_totals(lake: Path, last_day: str, gap_minutes: int = 30) -> dict[str, dict[str, Any]]:
    """Messages, active days and sessions per user up to `last_day`, in SQL."""
    frame = sql(
        lake,
        f"""
        WITH t AS (
            SELECT from_end_user_id AS u, created_at,
                   lag(created_at) OVER (PARTITION BY from_end_user_id ORDER BY created_at, id)
                       AS prev
            FROM raw WHERE created_at::DATE <= DATE '{last_day}'
        )
        SELECT u, count(*) AS messages, count(DISTINCT created_at::DATE) AS active_days,
               count(*) FILTER (WHERE prev IS NULL
                                OR created_at - prev > INTERVAL {gap_minutes} MINUTE) AS sessions
        FROM t GROUP BY u
        """,
    )
    key = get_settings().pseudonym_key
    return {pseudonym(r["u"], key): r for r in frame.iter_rows(named=True)}


def test_user_state_matches_history_and_mongo(month) -> None:
    lake = month["lake"]
    state = pl.read_parquet(lake / "user_analytics" / "date=2025-01-31" / "part-0.parquet")
    expected = user_totals(lake, "2025-01-31")
    assert set(state["user_key"]) == set(expected)
    for row in state.iter_rows(named=True):
        want = expected[row["user_key"]]
        assert (row["messages"], row["active_days"], row["sessions"]) == (
            want["messages"],
            want["active_days"],
            want["sessions"],
        ), row["user_key"]
    mid = pl.read_parquet(lake / "user_analytics" / "date=2025-01-15" / "part-0.parquet")
    expected_mid = user_totals(lake, "2025-01-15")
    assert dict(zip(mid["user_key"], mid["messages"], strict=True)) == {
        k: v["messages"] for k, v in expected_mid.items()
    }
    users = month["mongo"].users()
    assert users.count() == state.height
    for row in state.head(5).iter_rows(named=True):
        doc = users.get_user(row["user_key"])
        assert doc["total_messages"] == row["messages"] and doc["sessions"] == row["sessions"]


def test_rerunning_a_day_replaces_and_never_double_counts(month) -> None:
    lake, mongo, instance = month["lake"], month["mongo"], month["instance"]
    day = "2025-01-15"
    path = lake / "user_analytics" / f"date={day}" / "part-0.parquet"
    before_state = pl.read_parquet(path)
    conv_path = lake / "conversation_analytics" / f"date={day}" / "part-0.parquet"
    before_rows = pl.read_parquet(conv_path)
    before_docs = mongo.conversations().count()
    final_user = mongo.users().get_user(before_state["user_key"][0])

    result = run(lake, mongo, instance, partition_key=day)
    assert result.success

    assert pl.read_parquet(path).equals(before_state)
    assert pl.read_parquet(conv_path).equals(before_rows)
    assert mongo.conversations().count() == before_docs
    # MongoDB keeps the latest state (as of Jan 31): re-running Jan 15 does not roll it back
    assert (
        mongo.users().get_user(before_state["user_key"][0])["total_messages"]
        == (final_user["total_messages"])
    )
    (meta,) = [
        e.event_specific_data.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.event_specific_data.materialization.asset_key.path[-1] == "serving_user_analytics"
    ]
    assert meta["users_skipped_newer_in_mongo"].value > 0
    assert date.fromisoformat(day) < date(2025, 1, 31)


def test_state_continuity_check_knows_what_was_ingested(tmp_path: Path, mongo_server) -> None:
    """Starting mid-history is continuous when no earlier day was ingested (a fresh
    deployment), and flagged when an earlier day was ingested but its state is missing."""
    from dagster import AssetMaterialization

    lake = tmp_path / "lake"
    write_lake(lake, build())
    mongo: MongoResource = mongo_server.resource(database="analytics_continuity_tests")

    def check(instance: DagsterInstance, day: str) -> bool:
        result = run(lake, mongo, instance, selection=["user_analytics"], partition_key=day)
        assert result.success
        (evaluation,) = [
            e for e in result.get_asset_check_evaluations() if e.check_name == "state_is_continuous"
        ]
        return evaluation.passed

    with DagsterInstance.ephemeral() as instance:
        assert check(instance, "2025-01-15")  # nothing ingested before: nothing missing
        instance.report_runless_asset_event(
            AssetMaterialization("raw_messages", partition="2025-01-10")
        )
        assert not check(instance, "2025-01-20")  # 01-10 was ingested, state of 01-19 missing
        assert check(instance, "2025-01-16")  # the state of 01-15 exists
