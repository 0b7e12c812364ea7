"""The report schedules' first ticks, from the outside: whatever way the schedules are built,
the first tick after a moment asks for the report of the period that has just ended.

Only behaviour is used: the schedules of the code location's `Definitions`, their cron
strings, and the run requests of a tick evaluated by Dagster (`build_schedule_context`, the
evaluation the daemon runs). The daemon/webserver path is `test_daemon_backfill.py`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dagster import RunRequest, build_schedule_context
from dagster._utils.schedules import cron_string_iterator

from analytics_assets.definitions import defs

REPORT_JOBS = {"daily_report_job", "weekly_report_job", "monthly_report_job"}


def last_complete_period(job_name: str, tick: date) -> str:
    if job_name.startswith("daily"):
        return (tick - timedelta(days=1)).isoformat()
    if job_name.startswith("weekly"):
        return (tick - timedelta(days=tick.weekday() + 7)).isoformat()
    return (tick.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()


def report_schedules():
    return [s for s in defs.schedules if s.job_name in REPORT_JOBS]


def test_every_report_job_has_one_schedule() -> None:
    assert sorted(s.job_name for s in report_schedules()) == sorted(REPORT_JOBS)


@pytest.mark.parametrize(
    "after",
    [
        datetime(2026, 11, 29, 12, 0, tzinfo=UTC),  # Sunday: Monday 30th, Tuesday 1st next
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # year end
        datetime(2028, 2, 28, 23, 0, tzinfo=UTC),  # leap February
    ],
)
def test_first_tick_requests_the_period_that_just_ended(after: datetime) -> None:
    for schedule in report_schedules():
        first = next(
            cron_string_iterator(
                after.timestamp(), schedule.cron_schedule, schedule.execution_timezone or "UTC"
            )
        )
        assert first > after
        context = build_schedule_context(
            scheduled_execution_time=first, repository_def=defs.get_repository_def()
        )
        result = schedule.evaluate_tick(context)
        requests = result.run_requests or []
        assert len(requests) == 1, (schedule.name, first, result.skip_message)
        (request,) = requests
        assert isinstance(request, RunRequest)
        expected = last_complete_period(schedule.job_name, first.astimezone(UTC).date())
        partition = request.partition_key or request.tags.get("dagster/partition")
        assert partition == expected, (schedule.name, first)
        # The period is over at the tick: its partition exists then.
        job = defs.resolve_job_def(schedule.job_name)
        assert job.partitions_def is not None
        window = job.partitions_def.time_window_for_partition_key(partition)
        assert window.end <= first, (schedule.name, window, first)
