"""A partition backfill launched the way a user launches one.

Real parts: `dagster-webserver` and `dagster-daemon` on the production instance file in a
throw-away PostgreSQL database (`fixtures/dagster_stack.py`), the demo source, the session's
MongoDB, a lake in a temp folder.

* `launchPartitionBackfill` over 5 days of every daily asset, through the webserver's GraphQL
  API (the UI's "Materialize selected" > backfill). Every asset has a single-run backfill
  policy, so the backfill daemon launches one run for the whole range instead of one per
  day; the only exception is Dagster's own rule that a self-dependent asset
  (`user_analytics`: day D reads day D-1) never shares a run with other assets, so it gets a
  second run, over the same whole range, after the first. Every partition of every asset is
  materialized, the daily report (the downstream end of the graph) in the lake and in
  MongoDB included.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterRunStatus

from analytics_assets.storage.mongo import MongoResource
from analytics_assets_tests.fixtures.dagster_stack import DagsterStack, start_stack, wait_for
from analytics_assets_tests.fixtures.mongo import MongoTestServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

DAYS = [f"2026-11-{d:02d}" for d in range(2, 7)]  # Monday..Friday
DAILY_ASSETS = [
    "raw_conversations",
    "raw_messages",
    "categorized_messages",
    "translated_messages",
    "conversation_analytics",
    "user_analytics",
    "model_performance",
    "processing_errors",
    "daily_report",
]
SELF_DEPENDENT = "user_analytics"
BACKFILL_TAG = "dagster/backfill"


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, mongo_server: MongoTestServer
) -> Iterator[DagsterStack]:
    tmp = tmp_path_factory.mktemp("daemon-backfill")
    env = {
        "ANALYTICS_SOURCE": "demo",
        "DEMO_MESSAGES_PER_DAY": "40",
        "PARTITIONS_START_DATE": "2026-11-01",
        "ANALYTICS_DATA_DIR": str(tmp / "data"),
        "MONGODB_URI": mongo_server.connection_uri,
        "MONGODB_DATABASE": f"daemon_{uuid.uuid4().hex[:8]}",
        "SCORING_DEVICE": "cpu",
        "TRANSLATOR": "none",
    }
    with start_stack(env, tmp) as running:
        yield running


LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""


def test_backfill_through_graphql_is_one_run_that_materializes_every_partition(
    stack: DagsterStack,
) -> None:
    params = {
        "partitionNames": DAYS,
        "assetSelection": [{"path": [name]} for name in DAILY_ASSETS],
        "title": "five days",
    }
    answer = stack.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
    assert answer["__typename"] == "LaunchBackfillSuccess", answer
    backfill_id = answer["backfillId"]

    def finished():
        stack.assert_alive()
        with stack.instance() as instance:
            backfill = instance.get_backfill(backfill_id)
            assert backfill is not None
            status = backfill.status.value
            if status in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED"):
                return status
        return None

    status = wait_for("the backfill to finish", finished, timeout_s=480, every_s=3)
    with stack.instance() as instance:
        runs = [r for r in instance.get_runs() if r.tags.get(BACKFILL_TAG) == backfill_id]
        assert status in ("COMPLETED", "COMPLETED_SUCCESS"), (status, stack.log_tail())
        selections = {
            r.run_id: sorted(k.to_user_string() for k in r.asset_selection or ()) for r in runs
        }
        # Single-run backfill policy: one run for the range (the self-dependent asset apart),
        # never one run per day.
        assert sorted(selections.values()) == sorted(
            [sorted(set(DAILY_ASSETS) - {SELF_DEPENDENT}), [SELF_DEPENDENT]]
        ), selections
        run_of = {}
        for run in runs:
            assert run.status == DagsterRunStatus.SUCCESS
            assert run.tags["dagster/asset_partition_range_start"] == DAYS[0]
            assert run.tags["dagster/asset_partition_range_end"] == DAYS[-1]
            run_of |= {name: run.run_id for name in selections[run.run_id]}
        for name in DAILY_ASSETS:
            assert instance.get_materialized_partitions(AssetKey(name)) == set(DAYS), name
            events = instance.fetch_materializations(AssetKey(name), limit=50).records
            assert {e.run_id for e in events} == {run_of[name]}, name
            assert sorted(e.partition_key for e in events) == DAYS, name

    lake = Path(stack.env["ANALYTICS_DATA_DIR"]) / "lake"
    for name in ("raw_messages", "categorized_messages", "daily_report"):
        folders = sorted(p.name for p in (lake / name).iterdir())
        assert folders == [f"date={d}" for d in DAYS], (name, folders)
    mongo = MongoResource(uri=stack.env["MONGODB_URI"], database=stack.env["MONGODB_DATABASE"])
    reports = mongo.db()["analytics_reports"].find({"period_type": "daily"})
    assert sorted(doc["period_key"] for doc in reports) == DAYS
