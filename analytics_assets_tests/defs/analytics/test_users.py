"""user_analytics state: sessions, cumulative figures, and re-runs that never double count."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics_assets.defs.analytics.prepare import prepare_messages
from analytics_assets.defs.analytics.users import advance_state, empty_state, to_mongo_frame
from analytics_assets.privacy import pseudonym, pseudonymize
from analytics_assets_tests.defs.analytics.frames import (
    KEY,
    Msg,
    categorized,
    raw_conversations,
    raw_messages,
    ts,
)

DAY1 = [
    Msg("a1", "c1", "u1", "2025-03-03 10:00", topic="pricing", score=0.5, sentiment="positive"),
    Msg("a2", "c1", "u1", "2025-03-03 10:20", topic="pricing", score=-0.5, sentiment="negative"),
    Msg("a3", "c1", "u1", "2025-03-03 11:00", topic="account", score=None, sentiment=None),
    Msg("a4", "c1", "u1", "2025-03-03 23:50", topic="account"),
    Msg("b1", "c2", "u2", "2025-03-03 09:00", price=0.01),
]
DAY2 = [
    # 15 minutes after u1's last message of day 1: the same session, across midnight
    Msg("a5", "c1", "u1", "2025-03-04 00:05", topic="account", score=1.0, sentiment="positive"),
    Msg("a6", "c3", "u1", "2025-03-04 08:00", topic="account"),
]


def day(msgs: list[Msg], convs: list[tuple[str, str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw_convs = raw_conversations(convs)
    prepared = prepare_messages(raw_messages(msgs), categorized(msgs), raw_convs, KEY)
    started = pseudonymize(raw_convs, "from_end_user_id", KEY, "user_key").select(
        pl.col("id").alias("conversation_id"), "user_key"
    )
    return prepared, started


def two_days() -> tuple[pl.DataFrame, pl.DataFrame]:
    s1 = advance_state(
        empty_state(),
        *day(DAY1, [("c1", "u1", "2025-03-03 10:00"), ("c2", "u2", "2025-03-03 09:00")]),
        date(2025, 3, 3),
    )
    s2 = advance_state(s1, *day(DAY2, [("c3", "u1", "2025-03-04 08:00")]), date(2025, 3, 4))
    return s1, s2


def user(state: pl.DataFrame, name: str) -> dict:
    return state.filter(pl.col("user_key") == pseudonym(name, KEY)).row(0, named=True)


def test_first_day_state() -> None:
    s1, _ = two_days()
    u1 = user(s1, "u1")
    assert u1["messages"] == 4 and u1["conversations"] == 1 and u1["active_days"] == 1
    # 10:00 starts, 10:20 continues, 11:00 (40 min) starts, 23:50 starts
    assert u1["sessions"] == 3
    assert u1["first_seen"] == ts("2025-03-03 10:00") and u1["last_seen"] == ts("2025-03-03 23:50")
    assert u1["mean_sentiment"] == pytest.approx(0.0)  # (0.5 - 0.5 + 0.0) / 3 labeled
    assert u1["sentiment_count"] == 3
    assert u1["top_topics"] == ["account", "pricing"]
    assert u1["total_tokens"] == 600 and u1["total_cost"] == pytest.approx(0.004)
    assert user(s1, "u2")["total_cost"] == pytest.approx(0.01)


def test_second_day_accumulates_and_sessions_cross_midnight() -> None:
    _, s2 = two_days()
    u1 = user(s2, "u1")
    assert u1["messages"] == 6 and u1["conversations"] == 2 and u1["active_days"] == 2
    assert u1["sessions"] == 4  # 00:05 continues the 23:50 session, 08:00 starts one
    assert u1["first_seen"] == ts("2025-03-03 10:00") and u1["last_seen"] == ts("2025-03-04 08:00")
    assert u1["mean_sentiment"] == pytest.approx(1.0 / 5)
    assert u1["top_topics"][0] == "account"
    assert {t["topic"]: t["messages"] for t in u1["topic_counts"]} == {"account": 4, "pricing": 2}
    assert u1["active_today"] is True
    u2 = user(s2, "u2")  # inactive on day 2: carried over unchanged
    assert u2["active_today"] is False and u2["messages"] == 1 and u2["active_days"] == 1
    assert s2["as_of"].unique().to_list() == [date(2025, 3, 4)]


def test_rerunning_a_day_gives_the_same_state() -> None:
    s1, s2 = two_days()
    again = advance_state(s1, *day(DAY2, [("c3", "u1", "2025-03-04 08:00")]), date(2025, 3, 4))
    assert_frame_equal(again, s2)
    # the old system's `+=` would have doubled: make sure the figures are not
    assert user(again, "u1")["messages"] == 6


def test_session_gap_is_configurable() -> None:
    prepared, started = day(DAY1, [])
    wide = advance_state(empty_state(), prepared, started, date(2025, 3, 3), gap_minutes=60)
    assert user(wide, "u1")["sessions"] == 2  # 11:00 is within 60 min of 10:20


def test_documents_use_the_collection_field_names() -> None:
    _, s2 = two_days()
    docs = to_mongo_frame(s2.filter(pl.col("active_today"))).to_dicts()
    assert [d["user_key"] for d in docs] == [pseudonym("u1", KEY)]
    assert docs[0]["total_conversations"] == 2 and docs[0]["total_messages"] == 6
