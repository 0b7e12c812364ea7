"""The whole graph on an ephemeral instance: two days of demo data, through every asset.

Real parts only: the demo source, the Parquet IO manager on a temporary folder, the embedded
MongoDB server of the `mongo_resource` fixture.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DailyPartitionsDefinition,
    load_asset_checks_from_modules,
    load_assets_from_modules,
    materialize,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from analytics_assets.definitions import ASSET_MODULES, defs
from analytics_assets.resources import build_resources
from analytics_assets.schemas import RAW_CONVERSATIONS_SCHEMA, RAW_MESSAGES_SCHEMA
from analytics_assets.sources.demo.resource import DemoSourceResource
from analytics_assets.storage.parquet import LakeIOManager

DAYS = ["2026-11-02", "2026-11-03"]


def _daily_keys() -> list[AssetKey]:
    graph = defs.resolve_asset_graph()
    return [
        k
        for k in graph.materializable_asset_keys
        if isinstance(graph.get(k).partitions_def, DailyPartitionsDefinition)
    ]


def _run(lake: Path, mongo_resource, instance: DagsterInstance):
    resources = build_resources() | {
        "io_manager": LakeIOManager(base_path=str(lake)),
        "source": DemoSourceResource(seed=7, messages_per_day=300),
        "mongo": mongo_resource,
    }
    return materialize(
        [*load_assets_from_modules(ASSET_MODULES), *load_asset_checks_from_modules(ASSET_MODULES)],
        selection=_daily_keys(),
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: DAYS[0], ASSET_PARTITION_RANGE_END_TAG: DAYS[-1]},
        resources=resources,
    )


def _files(lake: Path) -> dict[str, int]:
    return {str(p.relative_to(lake)): pl.read_parquet(p).height for p in lake.rglob("*.parquet")}


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as inst:
        yield inst


def test_two_days_through_the_graph_and_rerun_replaces(
    tmp_path: Path, mongo_resource, instance: DagsterInstance
) -> None:
    lake = tmp_path / "lake"
    result = _run(lake, mongo_resource, instance)
    assert result.success

    for asset, schema in (
        ("raw_conversations", RAW_CONVERSATIONS_SCHEMA),
        ("raw_messages", RAW_MESSAGES_SCHEMA),
    ):
        frames = []
        for day in DAYS:
            path = lake / asset / f"date={day}" / "part-0.parquet"
            assert path.exists(), path
            frame = pl.read_parquet(path)
            assert frame.schema == schema
            assert frame.height > 0
            assert frame["created_at"].dt.date().cast(pl.String).unique().to_list() == [day]
            frames.append(frame)
        both = pl.concat(frames)
        assert both["id"].n_unique() == both.height

    # Malformed demo rows were recorded as errors, with ids, not dropped silently.
    open_errors = mongo_resource.errors().open_errors(asset="raw_messages")
    assert {e["partition"] for e in open_errors} == set(DAYS)
    assert all(e["record_id"] for e in open_errors)

    for key in _daily_keys():
        mats = [
            e.asset_materialization for e in instance.fetch_materializations(key, limit=10).records
        ]
        assert {m.partition for m in mats} == set(DAYS), key

    before = _files(lake)
    rerun = _run(lake, mongo_resource, instance)
    assert rerun.success
    assert _files(lake) == before  # same files, same row counts: replaced, not appended
    assert len(mongo_resource.errors().open_errors(asset="raw_messages")) == len(open_errors)
