"""The partition definitions every asset shares: UTC days, ISO weeks, calendar months."""

from __future__ import annotations

from datetime import UTC, date, datetime

from analytics_assets.partitions import (
    DAILY_PARTITIONS,
    MONTHLY_PARTITIONS,
    WEEKLY_PARTITIONS,
    day_window,
)


def test_day_window_is_a_half_open_utc_day() -> None:
    start, end = day_window("2026-03-29")  # a DST change in Europe: irrelevant in UTC
    assert start == datetime(2026, 3, 29, tzinfo=UTC)
    assert end == datetime(2026, 3, 30, tzinfo=UTC)
    assert (end - start).total_seconds() == 86_400


def test_daily_keys_and_windows_are_utc() -> None:
    window = DAILY_PARTITIONS.time_window_for_partition_key("2026-11-05")
    assert window.start.isoformat() == "2026-11-05T00:00:00+00:00"
    assert window.end.isoformat() == "2026-11-06T00:00:00+00:00"


def test_weeks_start_on_monday() -> None:
    keys = WEEKLY_PARTITIONS.get_partition_keys(current_time=datetime(2026, 11, 25, tzinfo=UTC))
    last = date.fromisoformat(keys[-1])
    assert last.isoweekday() == 1
    assert last == date(2026, 11, 16)  # the last complete ISO week before Wed 2026-11-25
    window = WEEKLY_PARTITIONS.time_window_for_partition_key(keys[-1])
    assert (window.end - window.start).days == 7


def test_months_are_calendar_months() -> None:
    window = MONTHLY_PARTITIONS.time_window_for_partition_key("2026-02-01")
    assert window.start.date() == date(2026, 2, 1)
    assert window.end.date() == date(2026, 3, 1)
