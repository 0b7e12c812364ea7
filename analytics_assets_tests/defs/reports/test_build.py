"""Period reports from row-level data: figures, periods, breakdowns, and why weeks are not sums."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analytics_assets.defs.analytics.checks import report_reconciles
from analytics_assets.defs.analytics.prepare import prepare_messages
from analytics_assets.defs.reports.build import (
    BREAKDOWNS,
    build_report,
    daily_series,
    headline_markdown,
    period_for,
    report_frame,
    report_from_row,
)
from analytics_assets_tests.defs.analytics.frames import (
    KEY,
    Msg,
    categorized,
    raw_conversations,
    raw_messages,
)

# Mon 2025-03-03 .. Wed 2025-03-05; u1 is active on all three days.
MSGS = [
    Msg("m1", "c1", "u1", "2025-03-03 10:00", latency=1.0, topic="pricing", language="th"),
    Msg("m2", "c1", "u1", "2025-03-03 10:01", latency=2.0, status="error", error="x"),
    Msg("m3", "c2", "u2", "2025-03-03 11:00", latency=None, sentiment="negative"),
    Msg("m4", "c1", "u1", "2025-03-04 09:00", latency=4.0, model="gpt-4o-mini", app="app-b"),
    Msg("m5", "c3", "u1", "2025-03-05 09:00", latency=8.0, price=0.5),
    Msg("m6", "c4", "u3", "2025-03-05 09:30", latency=16.0, topic=None),
    Msg("m7", "c5", "u4", "2025-03-10 09:30", latency=3.0),  # the next week
]
CONVS = [
    ("c1", "u1", "2025-03-03 09:59"),
    ("c3", "u1", "2025-03-05 08:59"),
    ("c4", "u3", "2025-03-05 09:29"),
    ("c5", "u4", "2025-03-10 09:29"),
]  # c2 was created the week before


@pytest.fixture(scope="module")
def prepared() -> pl.DataFrame:
    return prepare_messages(raw_messages(MSGS), categorized(MSGS), raw_conversations(CONVS), KEY)


def test_periods() -> None:
    assert period_for("weekly", date(2025, 3, 9)).key == "2025-03-03"  # Sunday → its Monday
    week = period_for("weekly", date(2025, 3, 3))
    assert (week.start, week.end, week.label) == (date(2025, 3, 3), date(2025, 3, 10), "2025-W10")
    month = period_for("monthly", date(2024, 12, 31))
    assert (month.key, month.end, month.label) == ("2024-12-01", date(2025, 1, 1), "2024-12")
    assert period_for("monthly", date(2024, 2, 10)).days()[-1] == date(2024, 2, 29)
    assert period_for("daily", date(2025, 3, 3)).report_id == "daily_2025-03-03"
    with pytest.raises(ValueError, match="period type"):
        period_for("yearly", date(2025, 1, 1))


def test_daily_report_figures(prepared: pl.DataFrame) -> None:
    r = build_report(prepared, period_for("daily", date(2025, 3, 3)), rejected_rows=2)
    assert r["_id"] == "daily_2025-03-03"
    assert (r["period_start"], r["period_end"], r["period_last_day"]) == (
        "2025-03-03",
        "2025-03-04",
        "2025-03-03",
    )
    assert r["messages"] == 3 and r["conversations"] == 2 and r["users"] == 2
    assert r["new_conversations"] == 1  # c1 created that day, c2 earlier
    assert r["avg_messages_per_conversation"] == 1.5
    assert r["message_tokens"] == 300 and r["answer_tokens"] == 150 and r["total_tokens"] == 450
    assert r["total_cost"] == pytest.approx(0.003)
    assert r["latency_p50"] == pytest.approx(1.5) and r["latency_p95"] == pytest.approx(1.95)
    assert r["error_messages"] == 1 and r["error_rate"] == pytest.approx(1 / 3)
    assert r["by_language"] == {"en": 2, "th": 1}
    assert r["by_sentiment"] == {"neutral": 2, "negative": 1}
    assert r["rejected_rows"] == 2 and r["currency"] == "USD"


def test_weekly_report_is_computed_from_rows_not_summed(prepared: pl.DataFrame) -> None:
    week = build_report(prepared, period_for("weekly", date(2025, 3, 5)))
    days = [build_report(prepared, period_for("daily", date(2025, 3, d))) for d in (3, 4, 5)]
    assert week["messages"] == sum(d["messages"] for d in days) == 6
    # u1 is active every day: distinct users over the week are not the sum of daily users
    assert week["users"] == 3
    assert sum(d["users"] for d in days) == 5
    assert week["users"] != sum(d["users"] for d in days)
    # c1 has messages on two days: distinct conversations do not add up either
    assert week["conversations"] == 4 != sum(d["conversations"] for d in days)
    assert week["new_conversations"] == 3
    # the week's p95 is not any combination of daily p95s
    lat = pl.Series([1.0, 2.0, 4.0, 8.0, 16.0])
    assert week["latency_p95"] == pytest.approx(lat.quantile(0.95, interpolation="linear"))
    assert week["by_model"]["gpt-4o-mini"]["messages"] == 1
    assert week["by_app"]["app-b"]["users"] == 1
    assert week["active_days"] == 3


def test_breakdowns_add_up_and_check_passes(prepared: pl.DataFrame) -> None:
    period = period_for("weekly", date(2025, 3, 3))
    report = build_report(prepared, period)
    for name in BREAKDOWNS:
        assert sum(report[name].values()) == report["messages"]
    assert report["by_topic"]["unknown"] == 1
    raw = raw_messages(MSGS)
    assert report_reconciles(report, raw, period).passed
    tampered = {**report, "total_cost": report["total_cost"] + 1}
    outcome = report_reconciles(tampered, raw, period)
    assert not outcome.passed and "total_cost" in outcome.metadata["problems"]


def test_empty_period(prepared: pl.DataFrame) -> None:
    r = build_report(prepared, period_for("daily", date(2025, 3, 20)))
    assert r["messages"] == 0 and r["users"] == 0 and r["error_rate"] == 0.0
    assert r["latency_p50"] is None and r["by_model"] == {}


def test_daily_series_has_every_day(prepared: pl.DataFrame) -> None:
    series = daily_series(prepared, period_for("weekly", date(2025, 3, 3)))
    assert series.height == 7
    assert series["messages"].to_list() == [3, 1, 2, 0, 0, 0, 0]
    assert series["users"].to_list()[:3] == [2, 1, 2]


def test_frame_round_trip_and_markdown(prepared: pl.DataFrame) -> None:
    reports = [build_report(prepared, period_for("daily", date(2025, 3, d))) for d in (3, 4)]
    frame = report_frame(reports)
    assert frame.height == 2 and frame["period_start"].dtype == pl.Date
    assert report_from_row(frame.row(0, named=True)) == reports[0]
    table = headline_markdown(reports)
    assert "| messages | 3 | 1 |" in table
