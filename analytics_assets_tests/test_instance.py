"""The documented production instance variant (PostgreSQL storage) really works.

Uses the machine's PostgreSQL (127.0.0.1:5432, trust auth) with a throw-away database, and the
same `storage: postgres:` section docs/deployment.md shows.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from dagster import DagsterInstance, asset, materialize

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", "postgres", "-c", sql],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def pg_database():
    try:
        _psql("select 1")
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:  # pragma: no cover
        pytest.fail(f"the machine's PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    name = f"dagster_test_{uuid.uuid4().hex[:8]}"
    _psql(f"create database {name}")
    yield name
    _psql(f"drop database if exists {name} with (force)")


def test_postgres_instance_records_runs(tmp_path: Path, pg_database: str, monkeypatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_PG_HOST", PG["host"])
    monkeypatch.setenv("DAGSTER_PG_PORT", PG["port"])
    monkeypatch.setenv("DAGSTER_PG_USER", PG["user"])
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "")
    monkeypatch.setenv("DAGSTER_PG_DB", pg_database)
    doc = Path(__file__).resolve().parents[1] / "docs" / "deployment.md"
    yaml_block = doc.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    (home / "dagster.yaml").write_text(yaml_block)

    @asset
    def tiny() -> int:
        return 1

    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = materialize([tiny], instance=instance)
        assert result.success
        runs = instance.get_runs()
        assert [r.run_id for r in runs] == [result.run_id]
        assert instance.get_latest_materialization_event(tiny.key) is not None
