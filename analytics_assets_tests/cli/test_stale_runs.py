"""Which STARTED runs `analytics-assets run` marks failed: those of a dead `run` process here.

Real processes stand for the runs' owners: one that has exited, one that is alive but is
another program (a reused pid), one that is alive and is `analytics_assets`. The whole
kill-and-rerun path is `reliability/test_kill_rerun.py`.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from analytics_assets.cli.stale_runs import HOST_TAG, PID_TAG, fail_runs_of_dead_processes
from analytics_assets.storage.atomic import host_hash


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    with DagsterInstance.local_temp(str(tmp_path)) as temp:
        yield temp


def _started(instance: DagsterInstance, pid: int, host: str | None = None) -> str:
    run = DagsterRun(
        job_name="analytics_assets_run",
        run_id=str(uuid.uuid4()),
        status=DagsterRunStatus.STARTED,
        tags={PID_TAG: str(pid), HOST_TAG: host or host_hash()},
    )
    instance.add_run(run)
    return run.run_id


def test_only_runs_of_dead_run_processes_on_this_host_are_failed(
    instance: DagsterInstance,
) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    other_program = subprocess.Popen(["sleep", "60"])
    ours = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "analytics_assets"]
    )
    try:
        dead = _started(instance, gone.pid)
        reused = _started(instance, other_program.pid)
        alive = _started(instance, ours.pid)
        elsewhere = _started(instance, gone.pid, host="another-host")

        failed = fail_runs_of_dead_processes(instance)

        assert sorted(failed) == sorted([dead, reused])
        status = {r.run_id: r.status for r in instance.get_runs()}
        assert status[dead] == status[reused] == DagsterRunStatus.FAILURE
        assert status[alive] == status[elsewhere] == DagsterRunStatus.STARTED
        messages = [e.message for e in instance.all_logs(dead)]
        assert any(f"pid {gone.pid}" in (m or "") for m in messages), messages
        assert fail_runs_of_dead_processes(instance) == []  # nothing left to mark
    finally:
        for proc in (other_program, ours):
            proc.kill()
            proc.wait()
