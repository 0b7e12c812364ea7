"""MongoDocumentsIOManager through `materialize` on an ephemeral instance and the real server.

No `from __future__ import annotations`: Dagster checks the `context` annotation at runtime.
"""

from datetime import date

import polars as pl
import pytest
from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    DailyPartitionsDefinition,
    WeeklyPartitionsDefinition,
    asset,
    materialize,
    mem_io_manager,
)

from analytics_assets.io_managers.mongo import MongoDocumentsIOManager
from analytics_assets.resources.mongo import MongoResource

DAILY = DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
WEEKLY = WeeklyPartitionsDefinition(start_date="2025-01-06", timezone="UTC", day_offset=1)
CATEGORIES_META = {"mongo_collection": "conversation_categories"}


def _labels(day: str, n: int) -> list[dict]:
    return [
        {
            "category_id": f"{day}-c{i}_topic_pricing",
            "conversation_id": f"{day}-c{i}",
            "category_type": "topic",
            "category_value": "pricing",
            "confidence_score": 0.5 + i / 100,
        }
        for i in range(n)
    ]


def _resources(mongo: MongoResource) -> dict:
    return {
        "mongo": mongo,
        "mongo_io_manager": MongoDocumentsIOManager(mongo=mongo),
        "io_manager": mem_io_manager,
    }


def test_partition_written_replaced_and_loaded(mongo_resource: MongoResource) -> None:
    sizes = {"n": 6}
    seen: dict[str, pl.DataFrame] = {}

    @asset(partitions_def=DAILY, io_manager_key="mongo_io_manager", metadata=CATEGORIES_META)
    def category_docs(context: AssetExecutionContext) -> list[dict]:
        return _labels(context.partition_key, sizes["n"])

    @asset(partitions_def=DAILY)
    def downstream(category_docs: pl.DataFrame) -> None:
        seen["frame"] = category_docs

    materialize([category_docs], partition_key="2025-01-03", resources=_resources(mongo_resource))
    first = materialize(
        [category_docs, downstream],
        partition_key="2025-01-02",
        resources=_resources(mongo_resource),
    )
    meta = first.asset_materializations_for_node("category_docs")[0].metadata
    assert meta["collection"].value == "conversation_categories"
    assert (meta["documents"].value, meta["inserted"].value, meta["deleted"].value) == (6, 6, 0)
    assert seen["frame"].height == 6 and set(seen["frame"]["partition"]) == {"2025-01-02"}
    assert "_write_id" not in seen["frame"].columns

    sizes["n"] = 4  # the re-run produces fewer labels: the two extra ones must go
    second = materialize(
        [category_docs, downstream],
        partition_key="2025-01-02",
        resources=_resources(mongo_resource),
    )
    meta = second.asset_materializations_for_node("category_docs")[0].metadata
    assert (meta["documents"].value, meta["matched"].value, meta["deleted"].value) == (4, 4, 2)
    repo = mongo_resource.categories()
    assert repo.count({"partition": "2025-01-02"}) == 4
    assert repo.count({"partition": "2025-01-03"}) == 6  # the other day untouched
    assert sorted(seen["frame"]["category_id"]) == [
        f"2025-01-02-c{i}_topic_pricing" for i in range(4)
    ]


def test_range_run_is_split_by_partition(mongo_resource: MongoResource) -> None:
    @asset(
        partitions_def=DAILY,
        io_manager_key="mongo_io_manager",
        metadata=CATEGORIES_META,
        backfill_policy=BackfillPolicy.single_run(),
    )
    def category_docs(context: AssetExecutionContext) -> pl.DataFrame:
        keys = context.partition_keys
        # The last day of the range has no labels this time.
        rows = [{**d, "partition": k} for k in keys[:-1] for d in _labels(k, 3)]
        return pl.DataFrame(rows)

    repo = mongo_resource.categories()
    repo.replace_partition("2025-01-07", _labels("2025-01-07", 2))  # stale: must be emptied
    result = materialize(
        [category_docs],
        resources=_resources(mongo_resource),
        tags={
            "dagster/asset_partition_range_start": "2025-01-05",
            "dagster/asset_partition_range_end": "2025-01-07",
        },
    )
    meta = result.asset_materializations_for_node("category_docs")[0].metadata
    assert meta["documents"].value == 6 and meta["deleted"].value == 2
    assert [repo.count({"partition": f"2025-01-0{d}"}) for d in (5, 6, 7)] == [3, 3, 0]


def test_unpartitioned_upsert_is_idempotent(mongo_resource: MongoResource) -> None:
    @asset(io_manager_key="mongo_io_manager", metadata={"mongo_collection": "user_analytics"})
    def users() -> pl.DataFrame:
        return pl.DataFrame({"user_key": ["u1", "u2", "u3"], "total_conversations": [1, 2, 3]})

    for _ in range(2):
        result = materialize([users], resources=_resources(mongo_resource))
    meta = result.asset_materializations_for_node("users")[0].metadata
    assert meta["mode"].value == "upsert" and meta["inserted"].value == 0
    assert mongo_resource.users().count() == 3
    assert mongo_resource.users().get_user("u3")["total_conversations"] == 3


def test_reports_go_through_the_reports_repository(mongo_resource: MongoResource) -> None:
    @asset(
        partitions_def=WEEKLY,
        io_manager_key="mongo_io_manager",
        metadata={"mongo_collection": "analytics_reports", "mongo_mode": "upsert"},
    )
    def weekly_report_doc(context: AssetExecutionContext) -> list[dict]:
        start = date.fromisoformat(context.partition_key)
        return [
            {
                "period_type": "weekly",
                "period_key": context.partition_key,
                "period_start": start,
                "period_end": "2025-01-13",
                "total_conversations": 42,
            }
        ]

    materialize(
        [weekly_report_doc], partition_key="2025-01-06", resources=_resources(mongo_resource)
    )
    report = mongo_resource.reports().get_report("weekly", "2025-01-06")
    assert report is not None and report["total_conversations"] == 42
    assert report["period_start"] == "2025-01-06"


def test_missing_collection_metadata_is_a_clear_error(mongo_resource: MongoResource) -> None:
    @asset(io_manager_key="mongo_io_manager")
    def unnamed() -> list[dict]:
        return [{"a": 1}]

    with pytest.raises(Exception, match="names no collection"):
        materialize([unnamed], resources=_resources(mongo_resource))
