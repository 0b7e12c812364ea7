"""Retries and resumability of the NocoDB source, through a fault-injecting proxy.

The client talks to the real NocoDB through `fault_proxy`, which answers some requests with
429 (+ `Retry-After`), 503, a dropped connection, a body cut in half or a slow answer. Nothing
may be lost or duplicated, and an interrupted ingestion re-run must store exactly the rows a
clean run stores.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, materialize
from polars.testing import assert_frame_equal

from analytics_assets.partitions import day_window
from analytics_assets.sources.nocodb import NocoDBRequestError
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.fixtures.fault_proxy import Fault, FaultProxy
from analytics_assets_tests.fixtures.nocodb import TEST_DAYS, LoadedDify

ALL = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))
FAST_RETRIES = {"backoff_base_s": 0.05, "backoff_max_s": 0.2}

pytestmark = pytest.mark.nocodb


def test_every_kind_of_fault_is_retried_and_no_row_is_lost_or_duplicated(
    nocodb_dify: LoadedDify, fault_proxy
) -> None:
    schedule = {
        0: Fault("503"),  # the very first page
        2: Fault("429", retry_after=0.3),
        4: Fault("drop"),
        5: Fault("truncate"),
        7: Fault("slow", delay_s=2.5),  # beyond timeout_s: a read timeout
        8: Fault("503"),
        9: Fault("503"),  # the same page twice in a row, maybe
        11: Fault("drop"),
    }
    proxy: FaultProxy = fault_proxy(nocodb_dify.server.url, schedule, match="/records")
    source = nocodb_dify.server.resource(
        nocodb_dify.base,
        url=proxy.url,
        page_size=50,
        max_concurrency=4,
        timeout_s=1.0,
        max_retries=6,
        **FAST_RETRIES,
    )
    got = source.fetch_messages(*ALL)
    assert_frame_equal(got, nocodb_dify.messages)
    done = proxy.faults_done()
    assert {"503", "429", "drop", "truncate", "slow"} <= set(done)
    assert done["503"] == 3 and done["drop"] == 2
    assert source.client().retries_done >= len(schedule)


def test_retry_after_is_honoured(nocodb_dify: LoadedDify, fault_proxy) -> None:
    proxy: FaultProxy = fault_proxy(
        nocodb_dify.server.url, {0: Fault("429", retry_after=1.5)}, match="/records"
    )
    client = nocodb_dify.server.client(backoff_base_s=0.01, backoff_max_s=0.01)
    client.base_url = proxy.url
    started = time.monotonic()
    page = client.get_page(nocodb_dify.base.messages_table_id, offset=0, limit=10)
    waited = time.monotonic() - started
    assert len(page.records) == 10
    assert waited >= 1.5  # the backoff alone would have waited at most 0.01 s
    assert proxy.faults_done() == {"429": 1, "ok": 1}


def test_a_server_that_keeps_failing_gives_a_clear_error(
    nocodb_dify: LoadedDify, fault_proxy
) -> None:
    proxy: FaultProxy = fault_proxy(nocodb_dify.server.url, lambda n: Fault("503"))
    source = nocodb_dify.server.resource(
        nocodb_dify.base, url=proxy.url, max_retries=2, **FAST_RETRIES
    )
    with pytest.raises(NocoDBRequestError, match="gave up after 3 tries") as failed:
        source.fetch_messages(*ALL)
    assert failed.value.status == 503
    assert nocodb_dify.server.token not in str(failed.value)
    assert proxy.faults_done() == {"503": 3}


def test_an_interrupted_ingestion_rerun_stores_exactly_the_partition(
    nocodb_dify: LoadedDify, fault_proxy, mongo_resource: MongoResource, tmp_path: Path
) -> None:
    """The raw asset re-reads its whole day and replaces the partition: re-runs are safe."""
    from analytics_assets.defs.ingestion.assets import raw_messages

    day = TEST_DAYS[1].isoformat()
    broken = {"on": True}

    def schedule(n: int) -> Fault | None:
        # Two pages go through, then the server is down until someone fixes it.
        return Fault("503") if broken["on"] and n >= 2 else None

    proxy: FaultProxy = fault_proxy(nocodb_dify.server.url, schedule, match="/records")
    source = nocodb_dify.server.resource(
        nocodb_dify.base, url=proxy.url, page_size=50, max_concurrency=2, max_retries=1
    )
    lake = tmp_path / "lake"
    resources = {
        "source": source,
        "mongo": mongo_resource,
        "io_manager": LakeIOManager(base_path=str(lake)),
    }
    with DagsterInstance.ephemeral() as instance:
        first = materialize(
            [raw_messages],
            partition_key=day,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        assert not first.success
        assert not list(lake.rglob("*.parquet"))  # nothing half-written
        broken["on"] = False
        second = materialize(
            [raw_messages], partition_key=day, instance=instance, resources=resources
        )
        assert second.success
        stored = pl.read_parquet(list(lake.rglob("*.parquet")))
        third = materialize(
            [raw_messages], partition_key=day, instance=instance, resources=resources
        )
        assert third.success
        again = pl.read_parquet(list(lake.rglob("*.parquet")))
    start, end = day_window(day)
    expected = nocodb_dify.messages.filter(pl.col("created_at").str.starts_with(day))
    assert stored.height == expected.height > 0
    assert sorted(stored["id"]) == sorted(expected["id"])  # no gaps, no duplicates
    assert_frame_equal(again.sort("id"), stored.sort("id"))  # a re-run changes nothing
    assert stored["created_at"].min() >= start and stored["created_at"].max() < end
