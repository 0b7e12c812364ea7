"""The committed instance files really work: `deploy/dagster.postgres.yaml` on the machine's
PostgreSQL (a throw-away database), and the local `dagster.yaml`, each as `make` installs it."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, asset, materialize

from analytics_assets_tests.fixtures.postgres import pg_instance_env, postgres_home

ROOT = Path(__file__).resolve().parents[1]


def test_postgres_instance_records_runs(tmp_path: Path, pg_database: str, monkeypatch) -> None:
    for key, value in pg_instance_env(pg_database).items():
        monkeypatch.setenv(key, value)
    home = postgres_home(tmp_path / "home")

    @asset
    def tiny() -> int:
        return 1

    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        coordinator = instance.run_coordinator
        assert type(coordinator).__name__ == "QueuedRunCoordinator"
        limits = {
            limit["key"]: limit
            for limit in coordinator.get_run_queue_config().tag_concurrency_limits
        }
        assert limits["dagster/backfill"]["limit"] == 2
        assert limits["nocodb/trigger"]["limit"] == 1
        assert limits["nocodb/trigger"]["value"] == {"applyLimitPerUniqueValue": True}
        assert instance.run_monitoring_enabled
        result = materialize([tiny], instance=instance)
        assert result.success
        runs = instance.get_runs()
        assert [r.run_id for r in runs] == [result.run_id]
        assert instance.get_latest_materialization_event(tiny.key) is not None


def test_local_instance_is_sqlite_with_run_monitoring(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds == 180
