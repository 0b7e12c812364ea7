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


def test_workers_reload_the_implicit_asset_job_by_name() -> None:
    """What a celery run of `analytics-assets run` re-loads by reference."""
    from analytics_assets.definitions import job_by_name

    assert job_by_name("__ASSET_JOB").name == "__ASSET_JOB"
    assert job_by_name("ingest_raw").name == "ingest_raw"
