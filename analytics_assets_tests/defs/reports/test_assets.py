"""The report assets on a real instance, IO manager and MongoDB, checked against DuckDB.

A month of upstream partitions is written to the lake (`analytics_lake.py`); `daily_report` is
materialized for the whole month as ONE run (single-run backfill), `weekly_report` for three
weeks as one run, `monthly_report` for January. Every figure of the stored MongoDB documents is
then recomputed from the raw Parquet files with DuckDB SQL written here, independently of the
Polars code of `analytics/`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from dagster import AssetSpec, DagsterInstance, materialize

from analytics_assets.defs.reports import assets as report_assets
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.schemas import PROCESSING_ERRORS_SCHEMA, conform
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.defs.analytics.analytics_lake import build, write_lake

UPSTREAM = [
    AssetSpec(k, partitions_def=DAILY_PARTITIONS)
    for k in ("raw_messages", "raw_conversations", "categorized_messages")
]
REPORTS = [report_assets.daily_report, report_assets.weekly_report, report_assets.monthly_report]
RANGE = {
    "dagster/asset_partition_range_start": "2025-01-01",
    "dagster/asset_partition_range_end": "2025-01-31",
}
WEEKS = ["2025-01-06", "2025-01-13", "2025-01-20"]  # the complete ISO weeks of January


def _errors(asset: str, partition: str, ids: list[str]) -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            {
                "stage": ["ingestion"] * len(ids),
                "record_type": ["message"] * len(ids),
                "record_id": ids,
                "reason": ["bad_timestamp"] * len(ids),
            }
        ),
        PROCESSING_ERRORS_SCHEMA,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, mongo_server) -> Iterator[dict[str, Any]]:
    lake = tmp_path_factory.mktemp("reports") / "lake"
    write_lake(lake, build())
    # Its own database: other modules' fixtures empty the shared test database between tests.
    mongo: MongoResource = mongo_server.resource(database="reports_asset_tests")
    db = mongo.db()
    for name in ("analytics_reports", "processing_errors"):
        db[name].delete_many({})
    errors = mongo.errors()
    errors.record_partition("raw_messages", "2025-01-07", _errors("raw_messages", "x", ["a", "b"]))
    errors.record_partition(
        "raw_conversations", "2025-01-08", _errors("raw_conversations", "x", ["c"])
    )
    resources = {"io_manager": LakeIOManager(base_path=str(lake)), "mongo": mongo}
    with DagsterInstance.ephemeral() as instance:
        runs = {
            "daily": materialize(
                [*UPSTREAM, *REPORTS],
                selection=["daily_report"],
                resources=resources,
                instance=instance,
                tags=RANGE,
            ),
            "weekly": materialize(
                [*UPSTREAM, *REPORTS],
                selection=["weekly_report"],
                resources=resources,
                instance=instance,
                tags={
                    "dagster/asset_partition_range_start": WEEKS[0],
                    "dagster/asset_partition_range_end": WEEKS[-1],
                },
            ),
            "monthly": materialize(
                [*UPSTREAM, *REPORTS],
                selection=["monthly_report"],
                resources=resources,
                instance=instance,
                partition_key="2025-01-01",
            ),
        }
        yield {"lake": lake, "mongo": mongo, "runs": runs}
    db["analytics_reports"].delete_many({})


# -- the independent computation -------------------------------------------------------------

CORE_SQL = """
    count(*) AS messages,
    count(DISTINCT conversation_id) AS conversations,
    count(DISTINCT conversation_id) FILTER (WHERE is_new) AS new_conversations,
    count(DISTINCT from_end_user_id) AS users,
    coalesce(sum(message_tokens), 0) AS message_tokens,
    coalesce(sum(answer_tokens), 0) AS answer_tokens,
    coalesce(sum(coalesce(message_tokens, 0) + coalesce(answer_tokens, 0)), 0) AS total_tokens,
    coalesce(sum(coalesce(total_price, 0)), 0) AS total_cost,
    quantile_cont(provider_response_latency, 0.5) AS latency_p50,
    quantile_cont(provider_response_latency, 0.95) AS latency_p95,
    count(*) FILTER (WHERE status = 'error' OR coalesce(trim(error), '') <> '') AS error_messages
"""


def duckdb_report(lake: Path, start: date, end: date) -> dict[str, Any]:
    """Every report figure for [start, end), from the raw Parquet, in SQL."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    lo, hi = f"{start.isoformat()} 00:00:00+00", f"{end.isoformat()} 00:00:00+00"
    con.execute(
        f"""
        CREATE VIEW m AS
        SELECT r.*, c.topic, c.intent, c.sentiment, c.language,
               r.conversation_id IN (
                   SELECT id FROM read_parquet('{lake}/raw_conversations/*/*.parquet')
                   WHERE created_at >= TIMESTAMPTZ '{lo}' AND created_at < TIMESTAMPTZ '{hi}'
               ) AS is_new
        FROM read_parquet('{lake}/raw_messages/*/*.parquet') r
        LEFT JOIN read_parquet('{lake}/categorized_messages/*/*.parquet') c
               ON c.message_id = r.id
        WHERE r.created_at >= TIMESTAMPTZ '{lo}' AND r.created_at < TIMESTAMPTZ '{hi}'
        """
    )

    def rows(sql: str) -> list[dict[str, Any]]:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def with_ratios(f: dict[str, Any]) -> dict[str, Any]:
        f["avg_messages_per_conversation"] = (
            f["messages"] / f["conversations"] if f["conversations"] else 0.0
        )
        f["error_rate"] = f["error_messages"] / f["messages"] if f["messages"] else 0.0
        return f

    report = with_ratios(rows(f"SELECT {CORE_SQL} FROM m")[0])
    for name, column in (
        ("by_topic", "topic"),
        ("by_intent", "intent"),
        ("by_sentiment", "sentiment"),
        ("by_language", "language"),
    ):
        report[name] = {
            r["k"]: r["n"]
            for r in rows(f"SELECT coalesce({column}, 'unknown') k, count(*) n FROM m GROUP BY 1")
        }
    for name, column in (("by_model", "model_id"), ("by_app", "app_id")):
        report[name] = {
            r.pop("k"): with_ratios(r)
            for r in rows(f"SELECT coalesce({column}, 'unknown') k, {CORE_SQL} FROM m GROUP BY 1")
        }
    report["active_days"] = rows("SELECT count(DISTINCT created_at::DATE) n FROM m")[0]["n"]
    report["currency"] = rows("SELECT string_agg(DISTINCT currency, ',') c FROM m")[0]["c"]
    return report


def assert_same(stored: Any, expected: Any, path: str = "") -> None:
    """Equal, with floats compared to 1e-9 relative (sums in a different order)."""
    if isinstance(expected, dict):
        assert set(stored) == set(expected), f"{path}: keys {set(stored) ^ set(expected)}"
        for key in expected:
            assert_same(stored[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, float) or isinstance(stored, float):
        assert stored is not None and expected is not None, path
        assert math.isclose(stored, expected, rel_tol=1e-9, abs_tol=1e-12), (
            f"{path}: {stored} != {expected}"
        )
    else:
        assert stored == expected, f"{path}: {stored!r} != {expected!r}"


FIGURES = (
    "messages",
    "conversations",
    "new_conversations",
    "users",
    "avg_messages_per_conversation",
    "message_tokens",
    "answer_tokens",
    "total_tokens",
    "total_cost",
    "latency_p50",
    "latency_p95",
    "error_messages",
    "error_rate",
    "by_topic",
    "by_intent",
    "by_sentiment",
    "by_language",
    "by_model",
    "by_app",
    "active_days",
    "currency",
)


# -- tests -------------------------------------------------------------------------------------


def test_runs_succeed_and_checks_pass(built) -> None:
    for kind, result in built["runs"].items():
        assert result.success, kind
        evaluations = result.get_asset_check_evaluations()
        assert len(evaluations) == 3, kind
        assert all(e.passed for e in evaluations), [
            (e.check_name, e.metadata) for e in evaluations if not e.passed
        ]


def test_a_30_day_backfill_is_one_run_that_writes_every_day(built) -> None:
    daily = built["runs"]["daily"]
    materialized = [
        e.event_specific_data.materialization.partition
        for e in daily.get_asset_materialization_events()
    ]
    assert len(materialized) == len(set(materialized)) == 31
    reports = built["mongo"].reports().list_reports("daily")
    assert [r["period_key"] for r in reports] == [
        (date(2025, 1, 1) + timedelta(days=i)).isoformat() for i in range(31)
    ]
    for key in ("2025-01-01", "2025-01-15", "2025-01-31"):
        path = built["lake"] / "daily_report" / f"date={key}" / "part-0.parquet"
        frame = pl.read_parquet(path)
        assert frame.height == 1 and frame["period_key"][0] == key
    assert len(built["mongo"].reports().list_reports("weekly")) == 3
    # One run, and still each day's event carries that day's report figures (issue 18).
    stored = {r["period_key"]: r for r in reports}
    for event in daily.get_asset_materialization_events():
        m = event.event_specific_data.materialization
        assert m.metadata["messages"].value == stored[m.partition]["messages"], m.partition
        assert m.metadata["users"].value == stored[m.partition]["users"], m.partition
        assert m.metadata["dagster/row_count"].value == 1
    assert len({r["messages"] for r in reports}) > 1  # the days differ: not one figure copied


@pytest.mark.parametrize(
    ("period_type", "key", "start", "end"),
    [
        ("daily", "2025-01-07", date(2025, 1, 7), date(2025, 1, 8)),
        ("daily", "2025-01-19", date(2025, 1, 19), date(2025, 1, 20)),
        ("weekly", "2025-01-06", date(2025, 1, 6), date(2025, 1, 13)),
        ("weekly", "2025-01-20", date(2025, 1, 20), date(2025, 1, 27)),
        ("monthly", "2025-01-01", date(2025, 1, 1), date(2025, 2, 1)),
    ],
)
def test_every_figure_equals_duckdb_over_the_raw_parquet(
    built, period_type: str, key: str, start: date, end: date
) -> None:
    stored = built["mongo"].reports().get_report(period_type, key)
    assert stored is not None
    expected = duckdb_report(built["lake"], start, end)
    assert expected["messages"] > 0
    for name in FIGURES:
        assert_same(stored[name], expected[name], f"{period_type} {key} {name}")
    assert stored["period_start"] == start.isoformat()
    assert stored["period_end"] == end.isoformat()


def test_rejected_rows_come_from_processing_errors(built) -> None:
    reports = built["mongo"].reports()
    assert reports.get_report("daily", "2025-01-07")["rejected_rows"] == 2
    assert reports.get_report("daily", "2025-01-08")["rejected_rows"] == 1
    assert reports.get_report("daily", "2025-01-09")["rejected_rows"] == 0
    week = reports.get_report("weekly", "2025-01-06")
    assert week["rejected_rows"] == 3
    assert week["rejected_by_asset"] == {"raw_messages": 2, "raw_conversations": 1}
    assert reports.get_report("monthly", "2025-01-01")["rejected_rows"] == 3


def test_weekly_users_are_distinct_not_summed(built) -> None:
    reports = built["mongo"].reports()
    week = reports.get_report("weekly", "2025-01-13")
    days = [
        reports.get_report("daily", (date(2025, 1, 13) + timedelta(days=i)).isoformat())
        for i in range(7)
    ]
    assert week["messages"] == sum(d["messages"] for d in days)
    assert week["users"] < sum(d["users"] for d in days)
    month = reports.get_report("monthly", "2025-01-01")
    assert month["users"] < sum(r["users"] for r in reports.list_reports("weekly"))


def test_html_pages_are_written_next_to_the_parquet_and_linked(built) -> None:
    lake: Path = built["lake"]
    page = lake / "reports_html" / "weekly" / "2025-01-06.html"
    assert page.exists()
    html = page.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "<svg" in html
    assert "claude-3.5-sonnet" in html
    stored = built["mongo"].reports().get_report("monthly", "2025-01-01")
    assert stored["html_path"] == str(lake / "reports_html" / "monthly" / "2025-01-01.html")
    monthly = built["runs"]["monthly"].get_asset_materialization_events()[0]
    metadata = monthly.event_specific_data.materialization.metadata
    assert metadata["html_report"].value == stored["html_path"]
    assert "| messages |" in metadata["headline"].value


def test_rerun_replaces_the_report(built, tmp_path: Path) -> None:
    """Re-materializing a period rewrites its document: same figures, no second document."""
    mongo: MongoResource = built["mongo"]
    before = mongo.reports().get_report("weekly", "2025-01-20")
    resources = {"io_manager": LakeIOManager(base_path=str(built["lake"])), "mongo": mongo}
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [*UPSTREAM, *REPORTS],
            selection=["weekly_report"],
            resources=resources,
            instance=instance,
            partition_key="2025-01-20",
        )
    assert result.success
    after = mongo.reports().get_report("weekly", "2025-01-20")
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert mongo.reports().count({"period_type": "weekly", "period_key": "2025-01-20"}) == 1


# -- the whole graph on demo data ----------------------------------------------------------------


def test_demo_days_through_the_whole_graph_match_duckdb(tmp_path: Path, mongo_server) -> None:
    """Demo source → ingestion → categorization → analytics → daily_report, as defined in
    `definitions.py`, for two demo days in one run; the stored report of each day equals DuckDB
    over the raw Parquet, and `rejected_rows` equals the raw assets' own `error_count`."""
    from dagster import (
        DailyPartitionsDefinition,
        load_asset_checks_from_modules,
        load_assets_from_modules,
    )

    from analytics_assets.definitions import ASSET_MODULES, defs
    from analytics_assets.resources import build_resources
    from analytics_assets.sources.demo.resource import DemoSourceResource

    days = ["2025-02-03", "2025-02-04"]
    lake = tmp_path / "lake"
    mongo: MongoResource = mongo_server.resource(database="reports_demo_graph_tests")
    for name in ("analytics_reports", "processing_errors", "conversation_analytics"):
        mongo.db()[name].delete_many({})
    graph = defs.resolve_asset_graph()
    daily = [
        k
        for k in graph.materializable_asset_keys
        if isinstance(graph.get(k).partitions_def, DailyPartitionsDefinition)
    ]
    assert {"daily_report", "conversation_analytics", "categorized_messages"} <= {
        k.to_user_string() for k in daily
    }
    resources = build_resources() | {
        "io_manager": LakeIOManager(base_path=str(lake)),
        "source": DemoSourceResource(seed=11, messages_per_day=400),
        "mongo": mongo,
    }
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [
                *load_assets_from_modules(ASSET_MODULES),
                *load_asset_checks_from_modules(ASSET_MODULES),
            ],
            selection=daily,
            resources=resources,
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1],
            },
        )
        assert result.success
        report_checks = [
            e
            for e in result.get_asset_check_evaluations()
            if e.asset_key.path[-1] == "daily_report"
        ]
        assert report_checks and all(e.passed for e in report_checks)
        # Each partition's event of a range run carries that day's `error_count` (issue 18).
        error_counts = {
            (m.asset_key.path[-1], m.partition): int(m.metadata["error_count"].value)
            for m in (
                e.event_specific_data.materialization
                for e in result.get_asset_materialization_events()
            )
            if m.asset_key.path[-1] in ("raw_messages", "raw_conversations")
        }
        assert {p for _, p in error_counts} == set(days)

    for key in days:
        day = date.fromisoformat(key)
        stored = mongo.reports().get_report("daily", key)
        expected = duckdb_report(lake, day, day + timedelta(days=1))
        assert expected["messages"] > 0 and expected["error_messages"] > 0
        for name in FIGURES:
            assert_same(stored[name], expected[name], f"demo {key} {name}")
        assert len(stored["by_language"]) > 1 and "th" in stored["by_language"]
        assert (lake / "reports_html" / "daily" / f"{key}.html").exists()
    rejected = sum(mongo.reports().get_report("daily", k)["rejected_rows"] for k in days)
    assert rejected == sum(error_counts.values()) > 0  # the demo sends malformed rows daily
