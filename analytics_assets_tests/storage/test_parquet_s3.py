"""LakeIOManager against S3: moto's server over real HTTP (s3fs writes, Polars reads).

The same assets run on a local folder and on `s3://bucket/prefix` must produce the same files.
"""

# No `from __future__ import annotations`: Dagster reads the asset annotations at runtime.
import io
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, build_output_context, materialize

from analytics_assets.resources import build_io_manager
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import (
    LakeIOManager,
    MissingPartitionsError,
)
from analytics_assets_tests.fixtures.s3 import S3Server
from analytics_assets_tests.storage.test_parquet import (
    DAILY,
    RANGE_TAGS,
    WEEK_DAYS,
    day_frame,
    events,
    files_under,
    weekly_dict,
    weekly_frame,
    weekly_lazy,
)

pytestmark = pytest.mark.s3


def s3_io(s3: S3Server, prefix: str) -> LakeIOManager:
    return LakeIOManager(base_path=prefix, s3_endpoint_url=s3.endpoint_url, aws_region=s3.region)


def keys_under(s3: S3Server, prefix: str) -> list[str]:
    """Every object key below `prefix`, relative to it, straight from the S3 API."""
    key_prefix = prefix.removeprefix(f"s3://{s3.bucket}/") + "/"
    pages = (
        s3.client().get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=key_prefix)
    )
    return sorted(o["Key"][len(key_prefix) :] for p in pages for o in p.get("Contents", []))


def get_bytes(s3: S3Server, prefix: str, rel: str) -> bytes:
    key = prefix.removeprefix(f"s3://{s3.bucket}/") + "/" + rel
    return s3.client().get_object(Bucket=s3.bucket, Key=key)["Body"].read()


def test_same_run_local_and_s3_produce_the_same_files(
    tmp_path: Path, s3_server: S3Server, s3_prefix: str
) -> None:
    assets = [events, weekly_frame, weekly_lazy, weekly_dict]
    for io_manager in (
        LakeIOManager(base_path=str(tmp_path)),
        s3_io(s3_server, s3_prefix),
    ):
        assert materialize([events], resources={"io_manager": io_manager}, tags=RANGE_TAGS).success
        assert materialize(
            assets,
            selection=assets[1:],
            resources={"io_manager": io_manager},
            partition_key="2025-01-06",
        ).success

    local_files = files_under(tmp_path)
    assert keys_under(s3_server, s3_prefix) == local_files  # no temp keys left behind either
    assert "events/date=2025-01-08/part-0.parquet" in local_files
    assert "weekly_frame/week=2025-01-06/part-0.parquet" in local_files
    for rel in local_files:
        remote = pl.read_parquet(io.BytesIO(get_bytes(s3_server, s3_prefix, rel)))
        assert remote.equals(pl.read_parquet(tmp_path / rel)), rel

    meta = pq.read_metadata(io.BytesIO(get_bytes(s3_server, s3_prefix, local_files[0])))
    column = meta.row_group(0).column(0)
    assert column.compression == "ZSTD" and column.is_stats_set


def test_s3_loads_eager_lazy_and_missing(s3_server: S3Server, s3_prefix: str) -> None:
    from dagster import DagsterType, PartitionKeyRange, build_input_context

    io_manager = s3_io(s3_server, s3_prefix)
    for day in WEEK_DAYS[:6]:
        io_manager.handle_output(
            build_output_context(
                asset_key=AssetKey(["raw", "messages"]),
                partition_key=day,
                asset_partitions_def=DAILY,
            ),
            day_frame(day, 3),
        )
    lazy_type = DagsterType(
        lambda _, v: isinstance(v, pl.LazyFrame), name="LazyFrame", typing_type=pl.LazyFrame
    )
    six_days = PartitionKeyRange(WEEK_DAYS[0], WEEK_DAYS[5])
    lazy = io_manager.load_input(
        build_input_context(
            asset_key=AssetKey(["raw", "messages"]),
            asset_partitions_def=DAILY,
            asset_partition_key_range=six_days,
            dagster_type=lazy_type,
        )
    )
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.select(pl.len()).collect().item() == 18
    eager = io_manager.load_input(
        build_input_context(
            asset_key=AssetKey(["raw", "messages"]),
            asset_partitions_def=DAILY,
            asset_partition_key_range=six_days,
        )
    )
    assert eager.height == 18 and eager.schema == day_frame(WEEK_DAYS[0]).schema
    with pytest.raises(
        MissingPartitionsError, match=r"missing 1 of 7 partitions needed: 2025-01-12"
    ):
        io_manager.load_input(
            build_input_context(
                asset_key=AssetKey(["raw", "messages"]),
                asset_partitions_def=DAILY,
                asset_partition_key_range=PartitionKeyRange(WEEK_DAYS[0], WEEK_DAYS[6]),
            )
        )


def test_s3_rematerialize_replaces_and_cleans(s3_server: S3Server, s3_prefix: str) -> None:
    io_manager = s3_io(s3_server, s3_prefix)
    client = s3_server.client()
    folder = s3_prefix.removeprefix(f"s3://{s3_server.bucket}/") + "/t/date=2025-01-03"

    def write(n: int) -> None:
        io_manager.handle_output(
            build_output_context(
                asset_key=AssetKey("t"), partition_key="2025-01-03", asset_partitions_def=DAILY
            ),
            day_frame("2025-01-03", n),
        )

    write(5)
    # A stale extra part and a temp key from a crashed writer.
    client.put_object(Bucket=s3_server.bucket, Key=f"{folder}/part-1.parquet", Body=b"stale")
    client.put_object(Bucket=s3_server.bucket, Key=f"{folder}/.part-0.parquet.x.tmp", Body=b"x")
    write(2)
    assert keys_under(s3_server, s3_prefix) == ["t/date=2025-01-03/part-0.parquet"]
    body = get_bytes(s3_server, s3_prefix, "t/date=2025-01-03/part-0.parquet")
    assert pl.read_parquet(io.BytesIO(body)).height == 2


def test_env_configuration_local_default_and_s3(
    tmp_path: Path, s3_server: S3Server, s3_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("ANALYTICS_LAKE", "S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ANALYTICS_DATA_DIR", str(tmp_path))
    local = build_io_manager()
    assert local.base_path == str(tmp_path / "lake") and local.polars_options() is None

    monkeypatch.setenv("ANALYTICS_LAKE", s3_prefix)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("AWS_REGION", s3_server.region)
    monkeypatch.setenv("PARQUET_ROW_GROUP_SIZE", "2")
    remote = build_io_manager()
    assert remote.s3_endpoint_url == s3_server.endpoint_url and remote.row_group_size == 2
    assert remote.fsspec_options()["client_kwargs"] == {
        "endpoint_url": s3_server.endpoint_url,
        "region_name": s3_server.region,
    }
    assert materialize([events], resources={"io_manager": remote}, tags=RANGE_TAGS).success
    assert keys_under(s3_server, s3_prefix) == [
        f"events/date={d}/part-0.parquet" for d in WEEK_DAYS
    ]
    meta = pq.read_metadata(
        io.BytesIO(get_bytes(s3_server, s3_prefix, keys_under(s3_server, s3_prefix)[0]))
    )
    assert meta.num_rows == 3 and meta.num_row_groups == 2


def test_raw_assets_write_the_same_files_locally_and_on_s3(
    tmp_path: Path,
    s3_server: S3Server,
    s3_prefix: str,
    mongo_resource: MongoResource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's acceptance run: the real `raw_*` assets over a 3-day single-run range,
    once with the default local lake and once with `ANALYTICS_LAKE=s3://...` (moto)."""
    from analytics_assets.defs.ingestion.assets import raw_conversations, raw_messages
    from analytics_assets.sources.demo.resource import DemoSourceResource

    tags = {
        "dagster/asset_partition_range_start": "2025-01-06",
        "dagster/asset_partition_range_end": "2025-01-08",
    }
    for key in ("ANALYTICS_LAKE", "S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ANALYTICS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    for lake in ("", s3_prefix):
        if lake:
            monkeypatch.setenv("ANALYTICS_LAKE", lake)
        io_manager = build_io_manager()
        result = materialize(
            [raw_conversations, raw_messages],
            resources={
                "io_manager": io_manager,
                "source": DemoSourceResource(seed=3, messages_per_day=60),
                "mongo": mongo_resource,
            },
            tags=tags,
        )
        assert result.success

    local_root = tmp_path / "lake"
    local_files = files_under(local_root)
    assert local_files == [
        f"{asset}/date={d}/part-0.parquet"
        for asset in ("raw_conversations", "raw_messages")
        for d in ("2025-01-06", "2025-01-07", "2025-01-08")
    ]
    assert keys_under(s3_server, s3_prefix) == local_files
    for rel in local_files:
        local = pl.read_parquet(local_root / rel)
        assert local.height > 0
        assert pl.read_parquet(io.BytesIO(get_bytes(s3_server, s3_prefix, rel))).equals(local)
