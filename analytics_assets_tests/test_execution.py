"""`ANALYTICS_EXECUTOR` picks the executor of every job, launched runs included."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from analytics_assets.execution import build_executor


@pytest.mark.parametrize(
    ("value", "name"),
    [("in_process", "in_process"), ("multiprocess", "multiprocess"), ("celery", "celery")],
)
def test_setting_picks_the_executor(monkeypatch, value: str, name: str) -> None:
    monkeypatch.setenv("ANALYTICS_EXECUTOR", value)
    assert build_executor().name == name


def test_default_is_in_process_and_unknown_values_are_refused(monkeypatch) -> None:
    monkeypatch.delenv("ANALYTICS_EXECUTOR", raising=False)
    assert build_executor().name == "in_process"
    monkeypatch.setenv("ANALYTICS_EXECUTOR", "threads")
    with pytest.raises(ValidationError, match="ANALYTICS_EXECUTOR"):
        build_executor()


def test_cli_job_reloads_by_reference_as_workers_do() -> None:
    """What a celery run of `analytics-assets run` re-loads by reference: a named job over the
    run's assets (Dagster refuses the implicit `__ASSET_JOB` in a reconstructed repository)."""
    from dagster import build_reconstructable_job

    keys = ("raw_messages", "raw_conversations", "categorized_messages")
    recon = build_reconstructable_job(
        "analytics_assets.definitions",
        "job_for_assets",
        reconstructable_args=("analytics_assets_run", keys),
    )
    job = recon.get_definition()
    assert job.name == "analytics_assets_run"
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= set(keys)
    assert job.partitions_def is not None and job.partitions_def.get_first_partition_key()
