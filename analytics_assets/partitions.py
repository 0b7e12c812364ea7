"""Partition definitions shared by every asset: daily (UTC), ISO weeks (Monday start), months.

Module constants, so every asset and schedule refers to the same objects. The start date comes
from `PARTITIONS_START_DATE` when the code location loads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dagster import (
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionMapping,
    WeeklyPartitionsDefinition,
)

from analytics_assets.settings import get_settings

_START = get_settings().partitions_start.isoformat()

DAILY_PARTITIONS = DailyPartitionsDefinition(start_date=_START, timezone="UTC")
# day_offset=1: weeks start on Monday (ISO weeks), not Dagster's default Sunday.
WEEKLY_PARTITIONS = WeeklyPartitionsDefinition(start_date=_START, timezone="UTC", day_offset=1)
MONTHLY_PARTITIONS = MonthlyPartitionsDefinition(start_date=_START, timezone="UTC")

# A weekly/monthly asset reads every daily partition inside its window.
DAILY_TO_PERIOD = TimeWindowPartitionMapping()


def day_window(partition_key: str) -> tuple[datetime, datetime]:
    """[start, end) of a daily partition key as timezone-aware UTC datetimes."""
    start = datetime.combine(date.fromisoformat(partition_key), datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=1)
