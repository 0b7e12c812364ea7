"""What a user sees when the command line is used wrongly or a run fails (issue 18).

Usage errors are one line on stderr and exit status 2, in-process through `main` (the same
function the console script calls). A failed run is checked in a real process against a
NocoDB that does not answer: one paragraph on stderr, no trace, the partitions named, the
trace in the instance's event log, and `DAGSTER_HOME` defaulted the way `make` does it.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance

from analytics_assets.cli import main
from analytics_assets.cli.failures import RunOutcome, StepFailure, describe_failure
from analytics_assets.cli.instance import INSTANCE_FILES, ensure_dagster_home
from analytics_assets.settings import Settings
from analytics_assets_tests.reliability.cli_process import cli_env, run_cli


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["run", "--days", "0"], "--days"),
        (["run", "--days", "-3"], "--days"),
        (["run", "--today", "2026-02-30"], "2026-02-30"),
        (["run", "--today", "yesterday"], "yesterday"),
        (["run", "--today", ""], "''"),
        (["run", "--today", "2025-01-01"], "no complete day"),
        (["errors", "--partition", "2026-99-01"], "2026-99-01"),
        (["errors", "--partition", "2026-02-30"], "2026-02-30"),
        (["errors", "--partition", "last week"], "YYYY-MM-DD"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert names in lines[0] and "Traceback" not in captured.err
    assert captured.out == ""


def test_dagster_home_that_is_set_is_left_alone(tmp_path: Path) -> None:
    home = tmp_path / "mine"
    assert ensure_dagster_home(Settings(DAGSTER_HOME=str(home)), cwd=tmp_path) == home
    assert not home.exists()  # not created, nothing copied in


def test_unset_dagster_home_gets_the_chosen_instance_file(tmp_path: Path) -> None:
    home = ensure_dagster_home(
        Settings(DAGSTER_HOME="", ANALYTICS_INSTANCE="postgres"), cwd=tmp_path
    )
    assert home == tmp_path / ".dagster"
    assert (home / "dagster.yaml").read_bytes() == INSTANCE_FILES["postgres"].read_bytes()
    # Switching back re-copies (as `make instance` does when the files differ).
    ensure_dagster_home(Settings(DAGSTER_HOME="", ANALYTICS_INSTANCE="local"), cwd=tmp_path)
    assert (home / "dagster.yaml").read_bytes() == INSTANCE_FILES["local"].read_bytes()


def test_failure_paragraph_names_partitions_cause_and_next_step() -> None:
    text = describe_failure(
        "2026-11-02..2026-11-03",
        ["2026-11-02", "2026-11-03"],
        RunOutcome(False, 1.0, "run-1"),
        [
            StepFailure("raw_messages", "NocoDBRequestError", "NocoDB GET x failed"),
            StepFailure("raw_conversations", "NocoDBRequestError", "NocoDB GET x failed"),
        ],
    )
    assert "raw_conversations, raw_messages" in text
    assert "2026-11-02..2026-11-03 (2 partitions)" in text
    assert "NOCODB_URL" in text and "run-1" in text
    assert text.count("NocoDB GET x failed") == 1  # the same cause is said once


def test_failure_paragraph_hides_a_uri_password() -> None:
    text = describe_failure(
        "2026-11-02",
        ["2026-11-02"],
        RunOutcome(False, 1.0, "run-1"),
        [StepFailure("raw_messages", "ServerSelectionTimeoutError", "mongodb://u:s3cr3t@h:1")],
    )
    assert "s3cr3t" not in text and "u:***@h" in text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.mark.slow
def test_nocodb_outage_is_one_paragraph_and_the_trace_is_in_the_event_log(
    tmp_path: Path, mongo_server
) -> None:
    token = f"tok-{uuid.uuid4().hex}"
    env = cli_env(
        tmp_path,
        mongo_server,
        f"cli_{uuid.uuid4().hex[:8]}",
        {
            "ANALYTICS_SOURCE": "nocodb",
            "NOCODB_URL": f"http://127.0.0.1:{_closed_port()}",
            "NOCODB_API_TOKEN": token,
            "NOCODB_MAX_RETRIES": "1",
        },
    )
    done = run_cli(["run", "--days", "2", "--no-week", "--today", "2026-11-04"], env, tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    paragraph = done.stderr.strip()
    assert "\n\n" not in paragraph and len(paragraph.splitlines()) <= 15, paragraph
    assert paragraph.startswith("FAILED: raw_conversations, raw_messages")
    assert "2026-11-02..2026-11-03 (2 partitions)" in paragraph
    assert "NOCODB_URL" in paragraph
    assert "rows written by this run (before it failed):\n  none" in done.stdout
    assert token not in done.stdout + done.stderr

    # DAGSTER_HOME was unset: ./.dagster with the committed instance file, as `make` does.
    home = tmp_path / ".dagster"
    assert (home / "dagster.yaml").read_bytes() == INSTANCE_FILES["local"].read_bytes()
    with DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.run_id in paragraph.replace("\n", " ")
        failures = instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
        assert failures
        stacks = [e.dagster_event.step_failure_data.error.to_string() for e in failures]
        assert any("Traceback" in s or 'File "' in s for s in stacks)
    # The token is in no event, tag or config the instance stored.
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    assert token.encode() not in stored
