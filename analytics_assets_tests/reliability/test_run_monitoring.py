"""A daemon-launched run whose process is SIGKILLed is marked failed, and the queue moves on.

Real parts: `dagster-webserver` and `dagster-daemon` on the production instance file in a
throw-away PostgreSQL database (`fixtures/dagster_stack.py`: queued run coordinator, run
monitoring on), limited here to ONE run at a time with a 1 s queue and monitoring poll, the
demo source, the session's MongoDB, a temp lake.

Two runs of `ingest_raw` go into the queue through the webserver's GraphQL API: a long one
(a month in one run) and a one-day one behind it. Once the long run is STARTED its run
worker (the process the code server started for it; its pid is in the run's event log) is
SIGKILLed. What marks the run failed is the code server that launched it: it polls its run
processes every 0.5 s and reports a run whose process died as FAILURE with the signal in the
event log (run monitoring's own worker check needs a launcher that can be asked, which
`DefaultRunLauncher` is not; monitoring covers runs stuck STARTING or CANCELING). The
one-day run then starts and succeeds: the killed run no longer holds the only slot.
"""

from __future__ import annotations

import os
import re
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRunStatus

from analytics_assets.defs.ingestion.jobs import INGESTION_JOB_NAME
from analytics_assets_tests.fixtures.dagster_stack import (
    FINISHED,
    DagsterStack,
    start_stack,
    turn_off,
    wait_for,
)
from analytics_assets_tests.fixtures.mongo import MongoTestServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

LONG_RANGE = ("2026-11-01", "2026-11-30")
SHORT_DAY = "2026-11-02"
PID = re.compile(r"Started process for run \(pid: (\d+)\)")
INSTANCE = {
    "run_coordinator": {"config": {"max_concurrent_runs": 1, "dequeue_interval_seconds": 1}},
    "run_monitoring": {"poll_interval_seconds": 1, "start_timeout_seconds": 60},
}


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, mongo_server: MongoTestServer
) -> Iterator[DagsterStack]:
    tmp = tmp_path_factory.mktemp("daemon-run-killed")
    env = {
        "ANALYTICS_SOURCE": "demo",
        "DEMO_MESSAGES_PER_DAY": "2000",
        "PARTITIONS_START_DATE": "2026-11-01",
        "ANALYTICS_DATA_DIR": str(tmp / "data"),
        "MONGODB_URI": mongo_server.connection_uri,
        "MONGODB_DATABASE": f"killed_{uuid.uuid4().hex[:8]}",
        "SCORING_DEVICE": "cpu",
        "TRANSLATOR": "none",
    }

    def automation_off(stack: DagsterStack) -> None:
        # Its ticks would queue runs of their own beside the two of the test.
        turn_off(stack, "automation_condition_sensor")

    with start_stack(env, tmp, before_daemon=automation_off, instance_settings=INSTANCE) as running:
        yield running


LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on Error { message }
  }
}
"""


def launch(stack: DagsterStack, tags: dict[str, str]) -> str:
    params = {
        "selector": stack.selector(jobName=INGESTION_JOB_NAME),
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    answer = stack.graphql(LAUNCH, {"params": params})["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    assert answer["run"]["status"] == "QUEUED", answer
    return answer["run"]["runId"]


def _worker_pid(stack: DagsterStack, run_id: str) -> int | None:
    """The run worker's pid once the run is STARTED (from its engine event)."""
    stack.assert_alive()
    with stack.instance() as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        assert run.status not in FINISHED, f"the long run ended before the kill: {run.status}"
        if run.status != DagsterRunStatus.STARTED:
            return None
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
            if match := PID.search(entry.message or ""):
                return int(match.group(1))
    return None


def _status(stack: DagsterStack, run_id: str) -> DagsterRunStatus:
    with stack.instance() as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        return run.status


def test_a_killed_run_is_marked_failed_and_the_queued_run_starts(stack: DagsterStack) -> None:
    with stack.instance() as instance:
        # The committed file's settings, with this test's shorter polls.
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["poll_interval_seconds"] == 1
    long_run = launch(
        stack,
        {
            "dagster/asset_partition_range_start": LONG_RANGE[0],
            "dagster/asset_partition_range_end": LONG_RANGE[1],
        },
    )
    short_run = launch(stack, {"dagster/partition": SHORT_DAY})

    pid = wait_for(
        "the long run to start", lambda: _worker_pid(stack, long_run), timeout_s=120, every_s=0.5
    )
    # One slot: the short run waits behind the long one.
    assert _status(stack, short_run) == DagsterRunStatus.QUEUED
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert b"multiprocessing" in cmdline, cmdline  # the code server's run process, not the server
    os.kill(pid, signal.SIGKILL)

    wait_for(
        "the killed run to be marked failed",
        lambda: _status(stack, long_run) == DagsterRunStatus.FAILURE,
        timeout_s=30,
        every_s=0.5,
    )
    with stack.instance() as instance:
        messages = [e.message for e in instance.all_logs(long_run)]
    assert any("terminated by signal 9" in (m or "") for m in messages), messages[-5:]

    wait_for(
        "the queued run to finish",
        lambda: _status(stack, short_run) in FINISHED,
        timeout_s=120,
        every_s=1,
    )
    assert _status(stack, short_run) == DagsterRunStatus.SUCCESS, stack.log_tail()
