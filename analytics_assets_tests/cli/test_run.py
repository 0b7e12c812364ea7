"""The day/week/month plan of `analytics-assets run`."""

from __future__ import annotations

from datetime import date

import pytest

from analytics_assets.cli.run import plan_range

START = date(2025, 1, 1)


def test_last_seven_days_extended_to_the_last_complete_week() -> None:
    plan = plan_range(date(2026, 11, 25), 7, START)  # a Wednesday
    assert plan.days[0] == "2026-11-16" and plan.days[-1] == "2026-11-24"
    assert plan.weeks == ["2026-11-16"]
    assert plan.months == []


def test_without_week_extension_exactly_n_days() -> None:
    plan = plan_range(date(2026, 11, 25), 7, START, complete_week=False)
    assert len(plan.days) == 7 and plan.days[-1] == "2026-11-24"
    assert plan.weeks == []


def test_a_covered_month_is_planned() -> None:
    plan = plan_range(date(2026, 12, 1), 30, START, complete_week=False)
    assert plan.months == ["2026-11-01"]
    assert plan.weeks == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]


def test_range_is_clipped_to_the_partition_start() -> None:
    plan = plan_range(date(2025, 1, 4), 7, START, complete_week=False)
    assert plan.days == ["2025-01-01", "2025-01-02", "2025-01-03"]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        plan_range(date(2026, 11, 25), 0, START)
    with pytest.raises(ValueError):
        plan_range(date(2025, 1, 1), 3, START)
