"""Runs left STARTED by an `analytics-assets run` process that died are marked failed.

`run` executes its runs in its own process (`execute_in_process`), so no run launcher and no
daemon watches them: Dagster's run monitoring only checks runs a launcher started. When the
process is SIGKILLed (OOM killer, `kill -9`, a closed container) its run stays STARTED for
ever: the UI shows it as running and anything counting runs in progress counts it.

So each run of the command carries tags naming its process (pid, and the host as the same
short hash the lake's temporary files and MongoDB's partition leases use), and the next
`run` on that host marks a run still STARTED whose process is gone as FAILURE, with an
engine event in its log saying which process died. A pid that is alive again but belongs to
another program (pid reuse) counts as gone; a live `analytics-assets` process is left alone.
Runs of other hosts are never touched: their processes cannot be asked.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from analytics_assets.storage.atomic import host_hash

PID_TAG = "analytics/cli_pid"
HOST_TAG = "analytics/cli_host"
IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


def process_tags() -> dict[str, str]:
    """The tags a run of this process carries (added to every run `run` starts)."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: host_hash()}


def _runs_here(pid: int) -> bool:
    """True when `pid` is a live `analytics-assets` process (not a zombie, not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: cannot tell, so leave its run alone
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): a live pid has to do
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return False
    return b"analytics-assets" in cmdline or b"analytics_assets" in cmdline


def fail_runs_of_dead_processes(instance: DagsterInstance) -> list[str]:
    """Mark this host's STARTED runs of dead `run` processes failed; their run ids."""
    host = host_hash()
    runs = instance.get_runs(filters=RunsFilter(statuses=IN_PROGRESS, tags={HOST_TAG: host}))
    failed = []
    for run in runs:
        pid = int(run.tags.get(PID_TAG, "0") or 0)
        if pid <= 0 or pid == os.getpid() or _runs_here(pid):
            continue
        message = (
            f"The `analytics-assets run` process (pid {pid} on this host) that ran this run is "
            "gone (killed or crashed) while the run was in progress; marked failed by the "
            "next `analytics-assets run`. Its partitions are re-written by any later run."
        )
        instance.report_engine_event(message, run)
        instance.report_run_failed(run, message)
        failed.append(run.run_id)
    return failed
