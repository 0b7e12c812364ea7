"""Wire → raw normalization: parsing once, and every malformed row accounted for."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from analytics_assets.defs.ingestion.normalize import (
    BAD_TIMESTAMP,
    DUPLICATE_ID,
    MISSING_CONVERSATION_ID,
    MISSING_ID,
    NEGATIVE_VALUE,
    OUTSIDE_PARTITION,
    normalize_conversations,
    normalize_messages,
    parse_timestamp,
)
from analytics_assets.schemas import (
    CONVERSATIONS_WIRE_SCHEMA,
    MESSAGES_WIRE_SCHEMA,
    PROCESSING_ERRORS_SCHEMA,
    RAW_CONVERSATIONS_SCHEMA,
    RAW_MESSAGES_SCHEMA,
)

WINDOW = (datetime(2026, 11, 5, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC))


def wire_messages(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=MESSAGES_WIRE_SCHEMA)


def message(**overrides) -> dict:
    row = {c: None for c in MESSAGES_WIRE_SCHEMA}
    row |= {
        "id": "m1",
        "conversation_id": "c1",
        "query": "hello",
        "answer": "hi",
        "message_tokens": 10,
        "answer_tokens": 5,
        "total_price": 0.01,
        "created_at": "2026-11-05 10:00:00+00:00",
        "updated_at": "2026-11-05 10:00:00+00:00",
    }
    return row | overrides


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-05 10:00:00+00:00", datetime(2026, 11, 5, 10, tzinfo=UTC)),
        ("2026-11-05T10:00:00.250+00:00", datetime(2026, 11, 5, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-05T10:00:00Z", datetime(2026, 11, 5, 10, tzinfo=UTC)),
        ("2026-11-05 12:00:00+02:00", datetime(2026, 11, 5, 10, tzinfo=UTC)),
        ("2026-11-05 10:00:00", datetime(2026, 11, 5, 10, tzinfo=UTC)),
        ("2026-13-45 25:61:00+00:00", None),
        ("not-a-date", None),
        ("", None),
    ],
)
def test_parse_timestamp_formats(text: str, expected: datetime | None) -> None:
    parsed = pl.DataFrame({"t": [text]}).select(parse_timestamp("t"))["t"][0]
    assert parsed == expected


def test_sound_rows_pass_with_raw_schema() -> None:
    result = normalize_messages(
        wire_messages([message(), message(id="m2", created_at="2026-11-05 23:59:59+00:00")]),
        asset="raw_messages",
        partition="2026-11-05",
        window=WINDOW,
    )
    assert result.rows.schema == RAW_MESSAGES_SCHEMA
    assert result.rows["id"].to_list() == ["m1", "m2"]
    assert result.errors.is_empty()
    assert result.errors.schema == PROCESSING_ERRORS_SCHEMA
    assert result.source_rows == 2


def test_every_malformed_row_is_recorded_with_its_reason() -> None:
    rows = [
        message(id="ok"),
        message(id=None, query="no id"),
        message(id="  ", query="blank id"),
        message(id="bad-ts", created_at="2026-13-45 25:61:00+00:00"),
        message(id="no-ts", created_at=None),
        message(id="bad-upd", updated_at="yesterday"),
        message(id="no-conv", conversation_id=None),
        message(id="tomorrow", created_at="2026-11-06 00:00:00+00:00"),
        message(id="neg", answer_tokens=-3),
    ]
    result = normalize_messages(
        wire_messages(rows), asset="raw_messages", partition="2026-11-05", window=WINDOW
    )
    assert result.rows["id"].to_list() == ["ok"]
    assert result.rows.height + result.errors.height == result.source_rows == len(rows)
    reasons = dict(zip(result.errors["record_id"], result.errors["reason"], strict=True))
    assert reasons["bad-ts"] == BAD_TIMESTAMP
    assert reasons["no-ts"] == BAD_TIMESTAMP
    assert reasons["bad-upd"] == BAD_TIMESTAMP
    assert reasons["no-conv"] == MISSING_CONVERSATION_ID
    assert reasons["tomorrow"] == OUTSIDE_PARTITION
    assert reasons["neg"] == NEGATIVE_VALUE
    surrogate = [r for r in reasons if r.startswith("row-sha256:")]
    assert len(surrogate) == 2 and {reasons[r] for r in surrogate} == {MISSING_ID}
    assert set(result.errors["asset"]) == {"raw_messages"}
    assert set(result.errors["partition"]) == {"2026-11-05"}
    detail = result.errors.filter(pl.col("record_id") == "bad-ts")["detail"][0]
    assert "2026-13-45" in detail


def test_surrogate_ids_are_stable_across_runs() -> None:
    rows = [message(id=None, query="no id")]
    first = normalize_messages(wire_messages(rows), asset="a", partition="p")
    second = normalize_messages(wire_messages(rows), asset="a", partition="p")
    assert first.errors["record_id"].to_list() == second.errors["record_id"].to_list()


def test_duplicate_ids_keep_latest_update_and_record_the_rest() -> None:
    rows = [
        message(query="old", updated_at="2026-11-05 10:00:00+00:00"),
        message(query="new", updated_at="2026-11-05 11:00:00+00:00"),
    ]
    result = normalize_messages(wire_messages(rows), asset="raw_messages", partition="2026-11-05")
    assert result.rows["query"].to_list() == ["new"]
    assert result.errors["reason"].to_list() == [DUPLICATE_ID]


def test_huge_text_is_kept_in_raw() -> None:
    huge = "x" * 100_000
    result = normalize_messages(
        wire_messages([message(query=huge)]), asset="raw_messages", partition="2026-11-05"
    )
    assert result.rows["query"][0] == huge


def test_conversations_use_the_same_rules() -> None:
    base = {c: None for c in CONVERSATIONS_WIRE_SCHEMA}
    rows = [
        base | {"id": "c1", "created_at": "2026-11-05 08:00:00+00:00", "dialogue_count": 3},
        base | {"id": None, "created_at": "2026-11-05 08:00:00+00:00"},
        base | {"id": "c3", "created_at": "2026-11-05 08:00:00+00:00", "read_at": "soon"},
    ]
    result = normalize_conversations(
        pl.DataFrame(rows, schema=CONVERSATIONS_WIRE_SCHEMA),
        asset="raw_conversations",
        partition="2026-11-05",
        window=WINDOW,
    )
    assert result.rows.schema == RAW_CONVERSATIONS_SCHEMA
    assert result.rows["id"].to_list() == ["c1"]
    assert sorted(result.errors["reason"]) == [BAD_TIMESTAMP, MISSING_ID]
    assert result.errors.filter(pl.col("reason") == BAD_TIMESTAMP)["conversation_id"][0] == "c3"
