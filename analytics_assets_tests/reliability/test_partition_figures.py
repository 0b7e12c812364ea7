"""Per-partition figures in a single-run range (issue 18).

Dagster gives every partition of a range run the same output metadata, so before this each
day's event in the UI's partition view showed the run's figures (`messages 19962`). Three days
of demo data go through every daily asset in ONE run (real demo source, Parquet IO manager on
a temporary folder, the embedded MongoDB); each partition's materialization event, read back
from the instance, must carry that day's own figures, compared with the lake and MongoDB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DailyPartitionsDefinition,
    load_asset_checks_from_modules,
    load_assets_from_modules,
    materialize,
)

from analytics_assets.definitions import ASSET_MODULES, defs
from analytics_assets.resources import build_resources
from analytics_assets.sources.demo.resource import DemoSourceResource
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import LakeIOManager

DAYS = ["2026-11-02", "2026-11-03", "2026-11-04"]
RANGE_TAGS = {
    "dagster/asset_partition_range_start": DAYS[0],
    "dagster/asset_partition_range_end": DAYS[-1],
}
# The Parquet assets whose day file is compared with the day's event.
PARQUET_ASSETS = (
    "raw_messages",
    "raw_conversations",
    "categorized_messages",
    "translated_messages",
    "conversation_analytics",
    "model_performance",
    "user_analytics",
    "processing_errors",
)


def _daily_keys() -> list[AssetKey]:
    graph = defs.resolve_asset_graph()
    return [
        k
        for k in graph.materializable_asset_keys
        if isinstance(graph.get(k).partitions_def, DailyPartitionsDefinition)
    ]


def _event(instance: DagsterInstance, asset: str, day: str) -> dict[str, Any]:
    """The metadata of the latest materialization of `asset` for `day`, as the instance keeps
    it (what the UI's partition view shows), values unwrapped."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[day]), limit=1
    ).records
    assert records, (asset, day)
    materialization = records[0].asset_materialization
    assert materialization is not None and materialization.partition == day
    return {k: v.value for k, v in materialization.metadata.items()}


@pytest.fixture
def ranged(tmp_path: Path, mongo_resource: MongoResource):
    lake = tmp_path / "lake"
    resources = build_resources() | {
        "io_manager": LakeIOManager(base_path=str(lake)),
        "source": DemoSourceResource(seed=11, messages_per_day=300),
        "mongo": mongo_resource,
    }
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [
                *load_assets_from_modules(ASSET_MODULES),
                *load_asset_checks_from_modules(ASSET_MODULES),
            ],
            selection=_daily_keys(),
            instance=instance,
            tags=RANGE_TAGS,
            resources=resources,
        )
        assert result.success
        assert len({r.run_id for r in instance.get_runs()}) == 1  # one run for the range
        yield lake, instance, mongo_resource


def test_each_partition_event_has_its_own_figures(ranged) -> None:
    lake, instance, mongo = ranged
    for asset in PARQUET_ASSETS:
        events = {day: _event(instance, asset, day) for day in DAYS}
        for day, meta in events.items():
            path = Path(meta["path"])
            assert f"={day}" in str(path) and path.exists(), (asset, day, path)
            frame = pl.read_parquet(path)
            assert meta["dagster/row_count"] == frame.height, (asset, day)
            assert meta["bytes"] == path.stat().st_size, (asset, day)
        # The run-wide total is still there, under its own name, and is the sum of the days.
        rows = [events[d]["dagster/row_count"] for d in DAYS]
        assert {e["rows_in_run"] for e in events.values()} == {sum(rows)}, asset

    for day in DAYS:
        raw = pl.read_parquet(lake / "raw_messages" / f"date={day}" / "part-0.parquet")
        ingested = _event(instance, "raw_messages", day)
        open_errors = mongo.errors().open_errors(asset="raw_messages")
        day_errors = sum(1 for e in open_errors if e["partition"] == day)
        assert day_errors > 0  # the demo source's malformed rows
        assert ingested["error_count"] == day_errors
        assert ingested["source_rows"] == raw.height + day_errors

        assert _event(instance, "categorized_messages", day)["messages"] == raw.height
        assert _event(instance, "translated_messages", day)["messages"] == raw.height

        conversations = pl.read_parquet(_event(instance, "conversation_analytics", day)["path"])
        analytics = _event(instance, "conversation_analytics", day)
        assert analytics["messages"] == raw.height == conversations["message_count"].sum()
        assert analytics["conversations"] == conversations.height
        assert _event(instance, "model_performance", day)["messages"] == raw.height

        users = pl.read_parquet(_event(instance, "user_analytics", day)["path"])
        assert _event(instance, "user_analytics", day)["users"] == users.height

        served = _event(instance, "serving_conversation_analytics", day)
        assert served["documents"] == mongo.conversations().count({"partition": day})
        assert served["documents"] == conversations.height
