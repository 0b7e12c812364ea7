"""`analytics-assets run` SIGKILLed at 10 seeded moments: the next run ends where a clean run ends.

Real parts: the CLI as its own process (`cli_process.py`), the demo source, a local lake, an
embedded MongoDB server of each side's own (its own data folder and port), a SQLite instance
in each side's own `.dagster`. Nothing is shared with other tests.

1. A clean run in folder `clean/`; its fingerprint (`storage/fingerprint.py`: a hash of every
   Parquet file's rows, every file name in the lake, a hash of every MongoDB collection's
   documents) is the reference, and its number of steps fixes where the kills land.
2. In folder `killed/`, ten times: start the same run, SIGKILL its process group once the
   event log shows its k-th STEP_SUCCESS (k spread over the steps: 0, 1, 2, ... of 12) plus a
   delay drawn from `random.Random(SEED)` (0-0.6 s: inside a long step, past a short one),
   run again to completion, and compare the fingerprint with the clean one. The first kill
   hits a fresh folder (a first run), the other nine a complete one (partitions being
   replaced). Milestones rather than clock times: on a loaded machine a clock time lands
   on a different step each time, and most of them in the longest step.

The embedded servers are separate, detached processes (their own session, so a kill of the
run's group leaves them running; the next run reuses them): they are stopped at the end and
checked gone. A run killed mid-way stays STARTED in the instance; the next `run` marks it
failed (`cli/stale_runs.py`), which is checked too.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from analytics_assets.storage.fingerprint import differences, fingerprint
from analytics_assets.storage.mongo import embedded
from analytics_assets_tests.fixtures.mongo import MongoTestServer
from analytics_assets_tests.reliability.cli_process import CLI, cli_env, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SEED = 18
KILLS = 10
DATABASE = "conversation_analytics"
ARGS = ["run", "--days", "2", "--no-week", "--today", "2026-11-04"]


@dataclass(frozen=True)
class Attempt:
    returncode: int
    output: str
    span_s: float  # first line to exit (or to the kill)


def _env(root: Path) -> dict[str, str]:
    server = MongoTestServer(uri="", embedded_path=str(root / "data" / "mongo"), database=DATABASE)
    extra = {
        "PSEUDONYM_KEY": "kill-rerun-test-key",  # both sides pseudonymize alike
        "SCORING_DEVICE": "cpu",
        "TRANSLATOR": "none",
        "DEMO_MESSAGES_PER_DAY": "40",
    }
    return cli_env(root, server, DATABASE, extra)


def _steps_done(instance: DagsterInstance, before: set[str]) -> int | None:
    """STEP_SUCCESS events of the run started after `before` was taken (None: no run yet)."""
    new = [run.run_id for run in instance.get_runs() if run.run_id not in before]
    if not new:
        return None
    return len(instance.all_logs(new[0], of_type=DagsterEventType.STEP_SUCCESS))


def _start_and_maybe_kill(root: Path, kill: tuple[int, float] | None) -> Attempt:
    """The run in its own process group. `kill = (k, delay)`: SIGKILL to the group `delay`
    seconds after the run's k-th STEP_SUCCESS is in its event log (None: let it finish)."""
    before = {run_id for run_id, _, _ in _runs(root)} if (root / ".dagster").exists() else set()
    proc = subprocess.Popen(
        [CLI, *ARGS],
        env=_env(root),
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        # The first line comes once the CLI has opened (and, on a fresh folder, created) its
        # instance: reading it from here cannot race the creation of its tables.
        first = proc.stdout.readline()
        started = time.monotonic()
        if kill is not None:
            steps, delay = kill
            with DagsterInstance.from_config(str(root / ".dagster")) as instance:
                while proc.poll() is None:
                    done = _steps_done(instance, before)
                    if done is not None and done >= steps:
                        break
                    time.sleep(0.1)
            time.sleep(delay)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait(timeout=300)
        return Attempt(proc.returncode, first + rest, time.monotonic() - started)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _runs(root: Path) -> list[tuple[str, DagsterRunStatus, int]]:
    """(run id, status, steps succeeded) of every run in `root`'s instance, newest first."""
    with DagsterInstance.from_config(str(root / ".dagster")) as instance:
        return [
            (
                run.run_id,
                run.status,
                len(instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)),
            )
            for run in instance.get_runs()
        ]


def test_a_run_killed_at_ten_seeded_moments_reruns_to_the_clean_result(tmp_path: Path) -> None:
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    clean.mkdir()
    killed.mkdir()
    try:
        reference = _start_and_maybe_kill(clean, None)
        assert reference.returncode == 0, reference.output[-3000:]
        expected = fingerprint(clean / "data", None, DATABASE)
        assert expected["tables"] and expected["mongo"], expected
        steps_total = _runs(clean)[0][2]

        # Kill i lands in stage k_i (k_i steps done, spread over the run's steps), at a
        # seeded moment into it: mid-write for long steps, between steps for short ones.
        rng = random.Random(SEED)
        kills = [(i * steps_total // KILLS, rng.uniform(0.0, 0.6)) for i in range(KILLS)]
        landed = []
        for i, (steps, delay) in enumerate(kills):
            attempt = _start_and_maybe_kill(killed, (steps, delay))
            assert attempt.returncode == -signal.SIGKILL, (
                f"kill {i} ({delay:.2f} s after step {steps}): the run ended by itself "
                f"({attempt.returncode}); {attempt.output[-2000:]}"
            )
            runs = _runs(killed)
            where = (
                f"kill {i}: {delay:.2f} s after step {steps} of {steps_total}, "
                f"{attempt.span_s:.1f} s after the first line, {runs[0][2]} steps done"
            )
            landed.append(where)
            rerun = run_cli(ARGS, _env(killed), killed)
            assert rerun.returncode == 0, where + "\n" + rerun.stdout[-2000:] + rerun.stderr
            diffs = differences(expected, fingerprint(killed / "data", None, DATABASE))
            assert not any(diffs.values()), (where, diffs)
            statuses = [status for _, status, _ in _runs(killed)]
            assert DagsterRunStatus.STARTED not in statuses, (where, statuses)
        print("\n".join(landed))
    finally:
        servers = [embedded.live_server(side / "data" / "mongo") for side in (clean, killed)]
        for side in (clean, killed):
            embedded.stop_server(side / "data" / "mongo")
    left = [s.pid for s in servers if s is not None and _alive(s.pid)]
    assert not left, f"embedded servers still running: {left}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
