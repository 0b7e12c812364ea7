"""conversation_analytics and the prepared-message view it starts from."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analytics_assets.defs.analytics.checks import conversations_cover_messages, unique_keys
from analytics_assets.defs.analytics.conversations import conversation_analytics, to_mongo_frame
from analytics_assets.defs.analytics.prepare import UNKNOWN, prepare_messages
from analytics_assets.privacy import pseudonym
from analytics_assets_tests.defs.analytics.frames import (
    KEY,
    Msg,
    categorized,
    raw_conversations,
    raw_messages,
    ts,
)

MSGS = [
    Msg("m1", "c1", "u1", "2025-03-03 10:00", sentiment="negative", score=-0.6, topic="pricing"),
    Msg("m2", "c1", "u1", "2025-03-03 10:04", latency=3.0, status="error", error="rate limited"),
    Msg(
        "m3",
        "c1",
        "u1",
        "2025-03-03 10:10",
        model="gpt-4o-mini",
        language="th",
        score=0.7,
        sentiment="positive",
        intent="gratitude",
        price=0.002,
        message_tokens=None,
    ),
    Msg("m4", "c2", "u2", "2025-03-03 23:50", topic=None, sentiment=None, score=None, latency=None),
]


@pytest.fixture
def prepared() -> pl.DataFrame:
    convs = raw_conversations([("c1", "u1", "2025-03-03 09:59")])  # c2 was created earlier
    return prepare_messages(raw_messages(MSGS), categorized(MSGS), convs, KEY)


def test_prepare_carries_pseudonyms_only(prepared: pl.DataFrame) -> None:
    assert "from_end_user_id" not in prepared.columns and "inputs" not in prepared.columns
    assert prepared["user_key"].to_list()[0] == pseudonym("u1", KEY)
    assert "u1" not in prepared["user_key"].to_list()
    # error from status or error text; missing tokens are 0; missing labels are "unknown"
    assert prepared["is_error"].to_list() == [False, True, False, False]
    assert prepared["message_tokens"].to_list() == [100, 100, 0, 100]
    assert prepared.filter(pl.col("message_id") == "m4")["topic"].item() == UNKNOWN


def test_prepare_without_categorized_rows_keeps_every_message() -> None:
    out = prepare_messages(raw_messages(MSGS), None, None, KEY)
    assert out.height == len(MSGS)
    assert set(out["sentiment"]) == {UNKNOWN}
    assert out["conversation_created_at"].null_count() == len(MSGS)


def test_one_row_per_conversation_with_figures(prepared: pl.DataFrame) -> None:
    rows = conversation_analytics(prepared)
    assert rows["conversation_id"].to_list() == ["c1", "c2"]
    c1 = rows.row(0, named=True)
    assert c1["date"] == date(2025, 3, 3)
    assert c1["user_key"] == pseudonym("u1", KEY)
    assert c1["message_count"] == 3
    assert c1["first_message_at"] == ts("2025-03-03 10:00")
    assert c1["duration_seconds"] == 600.0
    assert c1["message_tokens"] == 200 and c1["answer_tokens"] == 150
    assert c1["total_tokens"] == 350
    assert c1["total_cost"] == pytest.approx(0.004)
    assert c1["latency_mean"] == pytest.approx(5.0 / 3) and c1["latency_max"] == 3.0
    assert c1["error_count"] == 1
    assert c1["model_id"] == "gpt-4o" and c1["model_ids"] == ["gpt-4o", "gpt-4o-mini"]
    # pricing 1, account 2 → account dominates; question 2 vs gratitude 1
    assert c1["dominant_topic"] == "account" and c1["dominant_intent"] == "question"
    assert (c1["sentiment_start"], c1["sentiment_end"]) == ("negative", "positive")
    assert c1["sentiment_trend"] == "improving"
    assert c1["languages"] == ["en", "th"]
    assert c1["new_conversation"] is True
    c2 = rows.row(1, named=True)
    assert c2["new_conversation"] is False and c2["conversation_created_at"] is None
    assert c2["dominant_topic"] == UNKNOWN  # nothing known: unknown wins only then
    assert c2["sentiment_trend"] is None and c2["latency_mean"] is None


def test_same_conversation_on_two_days_gives_two_rows() -> None:
    msgs = [Msg("a", "c9", "u9", "2025-03-03 23:55"), Msg("b", "c9", "u9", "2025-03-04 00:05")]
    rows = conversation_analytics(
        prepare_messages(raw_messages(msgs), categorized(msgs), None, KEY)
    )
    assert rows.select("conversation_id", "date").rows() == [
        ("c9", date(2025, 3, 3)),
        ("c9", date(2025, 3, 4)),
    ]
    assert unique_keys(rows, ["conversation_id", "date"]).passed


def test_coverage_check_finds_a_missing_conversation(prepared: pl.DataFrame) -> None:
    raw = raw_messages(MSGS)
    rows = conversation_analytics(prepared)
    assert conversations_cover_messages(rows, raw).passed
    broken = conversations_cover_messages(rows.filter(pl.col("conversation_id") != "c2"), raw)
    assert not broken.passed and broken.metadata["missing"] == 1


def test_mongo_frame_names_the_partition(prepared: pl.DataFrame) -> None:
    docs = to_mongo_frame(conversation_analytics(prepared))
    assert docs.select("conversation_id", "partition").rows() == [
        ("c1", "2025-03-03"),
        ("c2", "2025-03-03"),
    ]
    assert docs["app_id"].null_count() == 0
