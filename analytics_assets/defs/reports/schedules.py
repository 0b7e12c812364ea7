"""Report schedules: each report is built once its period is over.

* `daily_report_schedule`: every day at 01:00 UTC, for yesterday.
* `weekly_report_schedule`: Mondays at 01:30 UTC, for the ISO week that just ended.
* `monthly_report_schedule`: the 1st of each month at 02:00 UTC, for the month that just ended.

The hour after midnight leaves the ingestion sensor time to land the last messages of the
period; the staggered minutes keep the three runs of a Monday the 1st from competing for the
same cores. The partition key of each run is computed by a pure function of the scheduled time
(tested on its own), and a key before the first partition is skipped rather than requested.
Runs carry the scheduled time in their run key, so a tick that is evaluated twice launches once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    TimeWindowPartitionsDefinition,
    schedule,
)

from analytics_assets.defs.reports.jobs import (
    daily_report_job,
    monthly_report_job,
    weekly_report_job,
)
from analytics_assets.partitions import DAILY_PARTITIONS, MONTHLY_PARTITIONS, WEEKLY_PARTITIONS

DAILY_CRON = "0 1 * * *"
WEEKLY_CRON = "30 1 * * 1"
MONTHLY_CRON = "0 2 1 * *"


def _utc_day(moment: datetime) -> date:
    """The UTC calendar day of `moment` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def daily_report_key(scheduled: datetime) -> str:
    """The day before the scheduled time's UTC day: the last complete day."""
    return (_utc_day(scheduled) - timedelta(days=1)).isoformat()


def weekly_report_key(scheduled: datetime) -> str:
    """The Monday of the last complete ISO week before the scheduled time.

    Weekly partitions start on Monday (`day_offset=1`), so their key is the Monday's date.
    """
    day = _utc_day(scheduled)
    this_monday = day - timedelta(days=day.weekday())
    return (this_monday - timedelta(days=7)).isoformat()


def monthly_report_key(scheduled: datetime) -> str:
    """The first day of the last complete calendar month before the scheduled time."""
    first_of_this_month = _utc_day(scheduled).replace(day=1)
    return (first_of_this_month - timedelta(days=1)).replace(day=1).isoformat()


def _first_key(partitions_def: TimeWindowPartitionsDefinition) -> str:
    first = partitions_def.get_first_partition_key()
    if first is None:  # only when the start date is in the future
        return "9999-12-31"
    return first


def report_run_request(
    report: str,
    key_for: Callable[[datetime], str],
    partitions_def: TimeWindowPartitionsDefinition,
    scheduled: datetime,
) -> RunRequest | SkipReason:
    """The run for the period that ended before `scheduled`, or why there is none."""
    key = key_for(scheduled)
    first = _first_key(partitions_def)
    if key < first:  # ISO dates compare as strings
        return SkipReason(f"{report}: period {key} is before the first partition {first}")
    return RunRequest(
        run_key=f"{report}:{key}",
        partition_key=key,
        tags={"analytics/trigger": "schedule", "analytics/report": report},
    )


def _scheduled_time(context: ScheduleEvaluationContext) -> datetime:
    return context.scheduled_execution_time or datetime.now(UTC)


@schedule(
    cron_schedule=DAILY_CRON,
    job=daily_report_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Yesterday's daily report, at 01:00 UTC.",
)
def daily_report_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    return report_run_request(
        "daily_report", daily_report_key, DAILY_PARTITIONS, _scheduled_time(context)
    )


@schedule(
    cron_schedule=WEEKLY_CRON,
    job=weekly_report_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Last ISO week's report (Monday to Sunday), on Mondays at 01:30 UTC.",
)
def weekly_report_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    return report_run_request(
        "weekly_report", weekly_report_key, WEEKLY_PARTITIONS, _scheduled_time(context)
    )


@schedule(
    cron_schedule=MONTHLY_CRON,
    job=monthly_report_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Last calendar month's report, on the 1st at 02:00 UTC.",
)
def monthly_report_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    return report_run_request(
        "monthly_report", monthly_report_key, MONTHLY_PARTITIONS, _scheduled_time(context)
    )


SCHEDULES = [daily_report_schedule, weekly_report_schedule, monthly_report_schedule]
