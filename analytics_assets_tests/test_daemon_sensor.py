"""The `nocodb_new_rows` sensor, run by the real `dagster-daemon`, against the real NocoDB.

Real parts: the session's NocoDB server (a base of this module's own, Dify's two tables),
`dagster-daemon` and `dagster-webserver` on the production instance file in a throw-away
PostgreSQL database (queued run coordinator, at most one sensor-launched run at a time),
runs launched by the daemon as their own processes, the session's MongoDB, a temp lake.

What a user sees when they turn the sensor on:

1. rows inserted for two days: the sensor launches `ingest_raw` for exactly those two days,
   and the lake holds exactly the inserted rows of each day;
2. late rows for the earlier day: that day is launched again and re-materialized, now with
   its late rows too;
3. later ticks over the same rows launch nothing.

The first rows are inserted while the sensor is off and it is turned on afterwards, so no
tick sees half of that insert; the late rows go in with one request while it runs. The
automation sensor is turned off (before the daemon starts): downstream materialization is
the backfill test's subject, this one is about the partitions the sensor launches.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dagster import AssetKey, DagsterRunStatus

from analytics_assets.defs.ingestion.jobs import INGESTION_JOB_NAME
from analytics_assets_tests.fixtures.dagster_stack import (
    DagsterStack,
    sensor,
    start_stack,
    turn_off,
    turn_on,
    wait_for,
)
from analytics_assets_tests.fixtures.mongo import MongoTestServer
from analytics_assets_tests.fixtures.nocodb import (
    DifyBase,
    NocoDBTestServer,
    insert_frame,
    wire_rows,
)

# Starting NocoDB, the webserver and the daemon, then three runs one at a time (the instance
# allows one sensor run at a time): minutes on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.nocodb, pytest.mark.timeout(1500)]

D1, D2 = date(2026, 11, 10), date(2026, 11, 11)
SENSOR = "nocodb_new_rows"
TRIGGER_TAG = "nocodb/trigger"


@pytest.fixture(scope="module")
def dify(nocodb_server: NocoDBTestServer) -> Iterator[DifyBase]:
    base = nocodb_server.create_dify_base("dify_daemon")
    yield base
    nocodb_server.delete_base(base)


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    mongo_server: MongoTestServer,
    nocodb_server: NocoDBTestServer,
    dify: DifyBase,
) -> Iterator[DagsterStack]:
    tmp = tmp_path_factory.mktemp("daemon-sensor")
    env = {
        "ANALYTICS_SOURCE": "nocodb",
        "NOCODB_URL": nocodb_server.url,
        "NOCODB_API_TOKEN": nocodb_server.token,
        "NOCODB_BASE": dify.title,
        "NOCODB_SENSOR_INTERVAL_S": "5",
        "PARTITIONS_START_DATE": "2026-11-01",
        "ANALYTICS_DATA_DIR": str(tmp / "data"),
        "MONGODB_URI": mongo_server.connection_uri,
        "MONGODB_DATABASE": f"daemon_{uuid.uuid4().hex[:8]}",
        "SCORING_DEVICE": "cpu",
        "TRANSLATOR": "none",
    }

    def sensors_off(stack: DagsterStack) -> None:
        turn_off(stack, "automation_condition_sensor")
        turn_off(stack, SENSOR)

    with start_stack(env, tmp, before_daemon=sensors_off) as running:
        yield running


def sensor_runs(stack: DagsterStack, count: int) -> list[Any]:
    """The sensor's runs, oldest first, once `count` exist and all have finished."""
    runs = stack.wait_for_runs(
        count, timeout_s=420, filters=lambda r: r.tags.get(TRIGGER_TAG) == SENSOR
    )
    runs = sorted(runs, key=lambda r: r.run_id)
    with stack.instance() as instance:
        records = {r.dagster_run.run_id: r for r in instance.get_run_records()}
    return sorted(runs, key=lambda r: records[r.run_id].create_timestamp)


def lake_ids(stack: DagsterStack, day: date) -> set[str]:
    folder = Path(stack.env["ANALYTICS_DATA_DIR"]) / "lake" / "raw_messages" / f"date={day}"
    return set(pl.read_parquet(folder / "part-0.parquet")["id"].to_list())


def test_sensor_launches_exactly_the_touched_partitions(
    stack: DagsterStack, nocodb_server: NocoDBTestServer, dify: DifyBase
) -> None:
    # Both sensors were turned off before the daemon started (so no first tick races the
    # switch): the rows go in while nothing reads them, then the sensor is turned on.
    assert sensor(stack, SENSOR)["sensorState"]["status"] == "STOPPED"
    assert sensor(stack, "automation_condition_sensor")["sensorState"]["status"] == "STOPPED"
    client = nocodb_server.client()

    # 1. Rows of two days: one run per day, for exactly those days.
    conversations, messages = wire_rows((D1, D2), messages_per_day=15)
    insert_frame(client, dify.conversations_table_id, conversations)
    insert_frame(client, dify.messages_table_id, messages)
    turn_on(stack, SENSOR)
    first = sensor_runs(stack, 2)
    assert len(first) == 2
    assert all(r.job_name == INGESTION_JOB_NAME for r in first)
    assert all(r.status == DagsterRunStatus.SUCCESS for r in first), stack.log_tail()
    assert sorted(r.tags["dagster/partition"] for r in first) == [str(D1), str(D2)]
    with stack.instance() as instance:
        for key in ("raw_messages", "raw_conversations"):
            assert instance.get_materialized_partitions(AssetKey(key)) == {str(D1), str(D2)}
    by_day = messages.with_columns(day=pl.col("created_at").str.slice(0, 10))
    for day in (D1, D2):
        expected = set(by_day.filter(pl.col("day") == str(day))["id"].to_list())
        assert lake_ids(stack, day) == expected

    # 2. Late messages in the earlier day's conversations, inserted while the sensor runs
    # (one request, so one tick sees all of them): that day, and only it, is re-materialized.
    _, late = wire_rows((D1,), seed=99, messages_per_day=6)
    d1_conversations = by_day.filter(pl.col("day") == str(D1))["conversation_id"].to_list()
    late = late.with_columns(
        conversation_id=pl.Series([d1_conversations[i % 3] for i in range(late.height)])
    )
    assert late.height <= 100
    insert_frame(client, dify.messages_table_id, late)
    runs = sensor_runs(stack, 3)
    assert len(runs) == 3
    rerun = runs[-1]
    assert rerun.status == DagsterRunStatus.SUCCESS, stack.log_tail()
    assert rerun.tags["dagster/partition"] == str(D1)
    d1_before = set(by_day.filter(pl.col("day") == str(D1))["id"].to_list())
    assert lake_ids(stack, D1) == d1_before | set(late["id"].to_list())
    with stack.instance() as instance:
        events = instance.fetch_materializations(AssetKey("raw_messages"), limit=20).records
    assert sorted(e.partition_key for e in events) == sorted([str(D1), str(D1), str(D2)])

    # 3. Later ticks over the same rows launch nothing.
    def launching_ticks() -> list[dict[str, Any]]:
        ticks = sensor(stack, SENSOR)["sensorState"]["ticks"]
        return [t for t in ticks if t["runIds"]]

    last_launch = max(t["timestamp"] for t in launching_ticks())

    def quiet_ticks_after_last_launch() -> list[dict[str, Any]] | None:
        ticks = sensor(stack, SENSOR)["sensorState"]["ticks"]
        # Finished ticks only: the one under way has no outcome yet.
        later = [t for t in ticks if t["timestamp"] > last_launch and t["status"] != "STARTED"]
        return later if len(later) >= 2 else None

    later = wait_for("two more sensor ticks", quiet_ticks_after_last_launch, timeout_s=120)
    assert all(t["status"] == "SKIPPED" and not t["runIds"] for t in later), later
    assert all(not t["error"] for t in later), later
    with stack.instance() as instance:
        assert len([r for r in instance.get_runs() if r.tags.get(TRIGGER_TAG) == SENSOR]) == 3
