"""Report schedules: the partition each tick requests, as pure functions and through Dagster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from dagster import RunRequest, SkipReason, build_schedule_context

from analytics_assets.defs.reports.schedules import (
    SCHEDULES,
    daily_report_key,
    daily_report_schedule,
    monthly_report_key,
    monthly_report_schedule,
    weekly_report_key,
    weekly_report_schedule,
)
from analytics_assets.partitions import DAILY_PARTITIONS, MONTHLY_PARTITIONS, WEEKLY_PARTITIONS


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        (utc(2025, 3, 2, 1, 0), "2025-03-01"),
        (utc(2025, 3, 1, 1, 0), "2025-02-28"),
        (utc(2024, 3, 1, 1, 0), "2024-02-29"),  # leap year
        (utc(2026, 1, 1, 1, 0), "2025-12-31"),  # year boundary
        # 01:00 in UTC+9 is 16:00 UTC of the day before: the UTC day decides.
        (datetime(2025, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=9))), "2025-02-28"),
    ],
)
def test_daily_key_is_yesterday_in_utc(scheduled: datetime, expected: str) -> None:
    assert daily_report_key(scheduled) == expected


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        (utc(2025, 3, 10, 1, 30), "2025-03-03"),  # Monday: the week that just ended
        (utc(2025, 3, 12, 9, 0), "2025-03-03"),  # a late tick mid-week: still last week
        (utc(2025, 3, 16, 23, 59), "2025-03-03"),  # Sunday: its own week is not over yet
        (utc(2026, 1, 5, 1, 30), "2025-12-29"),  # ISO week 1 of 2026 starts on 2025-12-29
    ],
)
def test_weekly_key_is_the_monday_of_last_complete_week(scheduled: datetime, expected: str) -> None:
    key = weekly_report_key(scheduled)
    assert key == expected
    assert datetime.fromisoformat(key).weekday() == 0


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        (utc(2025, 3, 1, 2, 0), "2025-02-01"),
        (utc(2025, 1, 1, 2, 0), "2024-12-01"),  # year boundary
        (utc(2025, 3, 31, 23, 0), "2025-02-01"),  # whole March still running
    ],
)
def test_monthly_key_is_the_first_of_last_complete_month(
    scheduled: datetime, expected: str
) -> None:
    assert monthly_report_key(scheduled) == expected


def test_keys_are_partition_keys_of_the_report_partitions() -> None:
    """The computed keys are exactly what Dagster calls the period's partition."""
    scheduled = utc(2025, 6, 2, 2, 0)  # a Monday, after the first of the month
    for key, pdef in (
        (daily_report_key(scheduled), DAILY_PARTITIONS),
        (weekly_report_key(scheduled), WEEKLY_PARTITIONS),
        (monthly_report_key(scheduled), MONTHLY_PARTITIONS),
    ):
        window = pdef.time_window_for_partition_key(key)
        assert window.end <= scheduled, key  # the period is over
        assert pdef.get_partition_key_for_timestamp(window.start.timestamp()) == key


def test_schedule_timings() -> None:
    by_name = {s.name: s for s in SCHEDULES}
    assert by_name["daily_report_schedule"].cron_schedule == "0 1 * * *"
    assert by_name["weekly_report_schedule"].cron_schedule.endswith("* * 1")  # Mondays
    assert by_name["monthly_report_schedule"].cron_schedule.split()[2:] == ["1", "*", "*"]
    assert all(s.execution_timezone == "UTC" for s in SCHEDULES)
    assert {s.job_name for s in SCHEDULES} == {
        "daily_report_job",
        "weekly_report_job",
        "monthly_report_job",
    }


@pytest.mark.parametrize(
    ("schedule_def", "scheduled", "key"),
    [
        (daily_report_schedule, utc(2025, 4, 16, 1, 0), "2025-04-15"),
        (weekly_report_schedule, utc(2025, 4, 14, 1, 30), "2025-04-07"),
        (monthly_report_schedule, utc(2025, 5, 1, 2, 0), "2025-04-01"),
    ],
)
def test_schedule_requests_the_period_that_just_ended(schedule_def, scheduled, key) -> None:
    result = schedule_def(build_schedule_context(scheduled_execution_time=scheduled))
    assert isinstance(result, RunRequest)
    assert result.partition_key == key
    assert result.run_key.endswith(key)


def test_schedule_skips_periods_before_the_first_partition() -> None:
    first = DAILY_PARTITIONS.get_first_partition_key()
    at_start = datetime.fromisoformat(first).replace(hour=1, tzinfo=UTC)
    result = daily_report_schedule(build_schedule_context(scheduled_execution_time=at_start))
    assert isinstance(result, SkipReason)
    # The first weekly partition starts on the first Monday on or after the start date.
    first_week = WEEKLY_PARTITIONS.get_first_partition_key()
    monday_after = datetime.fromisoformat(first_week).replace(hour=1, tzinfo=UTC)
    result = weekly_report_schedule(build_schedule_context(scheduled_execution_time=monday_after))
    assert isinstance(result, SkipReason)
    one_week_later = monday_after + timedelta(days=7)
    result = weekly_report_schedule(build_schedule_context(scheduled_execution_time=one_week_later))
    assert isinstance(result, RunRequest) and result.partition_key == first_week


def test_schedules_resolve_against_the_code_location() -> None:
    """Through the real Definitions: the jobs resolve and each tick targets a valid partition.

    Skipped until the report assets are part of the code location; once they are, the report
    jobs and schedules must be wired too.
    """
    from analytics_assets.definitions import defs

    repo = defs.get_repository_def()
    asset_names = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    if not {"daily_report", "weekly_report", "monthly_report"} <= asset_names:
        pytest.skip("report assets are not in definitions.ASSET_MODULES yet")
    wired = {s.name for s in repo.schedule_defs}
    assert {s.name for s in SCHEDULES} <= wired, "add *SCHEDULES and *REPORT_JOBS to definitions"
    for name, scheduled, key in (
        ("daily_report_schedule", utc(2025, 4, 16, 1, 0), "2025-04-15"),
        ("weekly_report_schedule", utc(2025, 4, 14, 1, 30), "2025-04-07"),
        ("monthly_report_schedule", utc(2025, 5, 1, 2, 0), "2025-04-01"),
    ):
        schedule_def = repo.get_schedule_def(name)
        job = repo.get_job(schedule_def.job_name)
        assert job.partitions_def is not None and job.partitions_def.has_partition_key(key)
        context = build_schedule_context(scheduled_execution_time=scheduled, repository_def=repo)
        data = schedule_def.evaluate_tick(context)
        assert [r.partition_key for r in data.run_requests or []] == [key]
