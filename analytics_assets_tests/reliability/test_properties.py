"""Hostile input, generated (Hypothesis): the parsers and builders keep their promises.

* `normalize_*`: stored + rejected == input, every rejected row has an id (or a surrogate)
  and a reason, record ids are distinct (they key `processing_errors`), no exception escapes,
  whatever the types, nulls, sizes, control characters or timestamp formats of the wire rows.
* `categorize`, language detection, translation batching, the report builders and the
  command line's arguments: one answer per input, no undocumented exception.

Example counts are small (the suite stays fast); Hypothesis keeps failing examples in its
database and replays them first.
"""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from analytics_assets.cli import main
from analytics_assets.defs.analytics.prepare import prepare_messages
from analytics_assets.defs.categorization.engine import categorize
from analytics_assets.defs.categorization.language import detect_languages
from analytics_assets.defs.ingestion.normalize import normalize_conversations, normalize_messages
from analytics_assets.defs.reports.build import BREAKDOWNS, build_report, daily_series, period_for
from analytics_assets.defs.reports.html import render_report_html
from analytics_assets.defs.translation.backends.base import BatchLimits
from analytics_assets.defs.translation.engine import batch_ranges
from analytics_assets.schemas import (
    CONVERSATIONS_WIRE_SCHEMA,
    MESSAGES_WIRE_SCHEMA,
    RAW_CONVERSATIONS_SCHEMA,
    RAW_MESSAGES_SCHEMA,
)
from analytics_assets_tests.defs.analytics.frames import (
    KEY,
    Msg,
    categorized,
    raw_conversations,
    raw_messages,
)

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY = date(2026, 11, 3)
WINDOW = (datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC))

# Text that breaks naive code: control characters, mixed scripts, RTL marks, NUL, emoji.
nasty_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
huge_text = st.integers(5_000, 30_000).map(lambda n: "ก" * n)
timestamps = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 11, 2), max_value=datetime(2026, 11, 5), timezones=st.just(UTC)
    ).flatmap(
        lambda d: st.sampled_from(
            [
                d.strftime("%Y-%m-%d %H:%M:%S+00:00"),
                d.isoformat(),
                d.strftime("%Y-%m-%dT%H:%M:%SZ"),
                d.strftime("%Y-%m-%d %H:%M:%S"),
                d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+07:00"),
                d.strftime("%d/%m/%Y %H:%M"),
                str(int(d.timestamp())),
                d.strftime("%Y-%m-%d %H:%M:%S.%f+00:00"),
            ]
        )
    ),
    st.sampled_from(["", " ", "2026-13-45 25:61:00+00:00", "yesterday", "0000-00-00"]),
)
string_values = st.one_of(st.none(), nasty_text, timestamps, huge_text)
ids = st.one_of(st.none(), st.just(""), st.sampled_from(["a", "b", "c"]), nasty_text)

# A wire column of any type: the source may send the wrong one.
TYPED = {
    pl.String(): string_values,
    pl.Int64(): st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    pl.Float64(): st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    pl.Boolean(): st.one_of(st.none(), st.booleans()),
}


@st.composite
def wire_frames(draw: st.DrawFn, schema: pl.Schema) -> pl.DataFrame:
    n = draw(st.integers(0, 6))
    columns: dict[str, pl.Series] = {}
    for name, declared in schema.items():
        if name in ("id", "conversation_id"):
            columns[name] = pl.Series(name, draw(st.lists(ids, min_size=n, max_size=n)), pl.String)
            continue
        if name in ("created_at", "updated_at"):
            values = draw(st.lists(st.one_of(st.none(), timestamps), min_size=n, max_size=n))
            columns[name] = pl.Series(name, values, pl.String)
            continue
        if draw(st.integers(0, 4)) == 0:
            continue  # the column is missing
        dtype = declared if draw(st.booleans()) else draw(st.sampled_from(list(TYPED)))
        values = draw(st.lists(TYPED[dtype], min_size=n, max_size=n))
        columns[name] = pl.Series(name, values, dtype)
    return pl.DataFrame(list(columns.values())) if columns else pl.DataFrame()


def _check_normalized(result, wire: pl.DataFrame, raw_schema: pl.Schema) -> None:
    assert result.rows.height + result.errors.height == wire.height  # nothing lost, none made
    assert result.rows.schema == raw_schema
    errors = result.errors
    assert errors["record_id"].null_count() == 0 and (errors["record_id"] != "").all()
    assert errors["reason"].null_count() == 0
    assert errors["record_id"].n_unique() == errors.height  # one processing_errors key each
    assert result.rows["id"].n_unique() == result.rows.height
    if result.rows.height:
        created = result.rows["created_at"]
        assert created.null_count() == 0
        assert created.min() >= WINDOW[0] and created.max() < WINDOW[1]


@FAST
@given(wire=wire_frames(MESSAGES_WIRE_SCHEMA))
def test_normalize_messages_loses_nothing(wire: pl.DataFrame) -> None:
    result = normalize_messages(wire, asset="raw_messages", partition="2026-11-03", window=WINDOW)
    _check_normalized(result, wire, RAW_MESSAGES_SCHEMA)


@FAST
@given(wire=wire_frames(CONVERSATIONS_WIRE_SCHEMA))
def test_normalize_conversations_loses_nothing(wire: pl.DataFrame) -> None:
    result = normalize_conversations(
        wire, asset="raw_conversations", partition="2026-11-03", window=WINDOW
    )
    _check_normalized(result, wire, RAW_CONVERSATIONS_SCHEMA)


def test_three_copies_of_one_id_are_one_row_and_two_errors() -> None:
    """The bug once in `_error_frame`: errors made unique on record_id lost a duplicate."""
    wire = pl.DataFrame(
        {
            "id": ["a", "a", "a"],
            "conversation_id": ["c", "c", "c"],
            "created_at": ["2026-11-03 10:00:00+00:00"] * 3,
            "updated_at": [f"2026-11-03 10:0{i}:00+00:00" for i in range(3)],
        }
    )
    result = normalize_messages(wire, asset="raw_messages", partition="2026-11-03")
    assert result.rows.height == 1
    assert result.rows["updated_at"].dt.minute().to_list() == [2]  # the newest copy is kept
    assert result.errors["record_id"].to_list() == ["a", "a#2"]
    assert set(result.errors["message_id"]) == {"a"}


@settings(max_examples=10, deadline=None)
@given(texts=st.lists(st.one_of(nasty_text, huge_text), max_size=5))
def test_categorize_labels_every_text(texts: list[str]) -> None:
    out = categorize(texts)
    assert out.height == len(texts)
    if texts:
        assert out["topic"].null_count() == 0 and out["sentiment"].null_count() == 0
        assert out["sentiment_score"].is_between(-1, 1).all()


@FAST
@given(texts=st.lists(st.one_of(st.none(), nasty_text, huge_text), max_size=6))
def test_language_detection_answers_every_text(texts: list[str | None]) -> None:
    out = detect_languages(texts)
    assert out.height == len(texts)
    if texts:
        assert out["language"].null_count() == 0
        assert out["language_confidence"].is_between(0, 1).all()


@FAST
@given(
    lengths=st.lists(st.integers(0, 5_000), max_size=60),
    items=st.integers(1, 10),
    chars=st.integers(1, 6_000),
)
def test_translation_batches_cover_every_text_once_within_limits(
    lengths: list[int], items: int, chars: int
) -> None:
    ranges = batch_ranges(lengths, BatchLimits(max_items=items, max_chars=chars))
    covered = [i for start, end in ranges for i in range(start, end)]
    assert covered == list(range(len(lengths)))  # in order, none twice, none left out
    for start, end in ranges:
        assert 0 < end - start <= items
        assert end - start == 1 or sum(lengths[start:end]) <= chars


messages = st.builds(
    Msg,
    id=st.uuids().map(str),
    conversation_id=st.sampled_from(["c1", "c2", "c3"]),
    user=st.one_of(st.none(), st.sampled_from(["u1", "u2"])),
    at=st.integers(0, 24 * 60 - 1).map(
        lambda m: (datetime(2026, 11, 3) + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M")
    ),
    message_tokens=st.one_of(st.none(), st.integers(0, 10**6)),
    answer_tokens=st.one_of(st.none(), st.integers(0, 10**6)),
    price=st.one_of(st.none(), st.floats(0, 100)),
    latency=st.one_of(st.none(), st.floats(0, 600)),
    status=st.sampled_from(["normal", "error"]),
    topic=st.one_of(st.none(), st.sampled_from(["account", "pricing"])),
)


def _report(msgs: list[Msg]) -> dict:
    prepared = prepare_messages(raw_messages(msgs), categorized(msgs), raw_conversations([]), KEY)
    period = period_for("daily", DAY)
    report = build_report(prepared, period, rejected_rows=0)
    page = render_report_html(report, daily_series(prepared, period))
    assert page.lstrip().lower().startswith("<!doctype html")
    assert report["messages"] == len(msgs)
    for name in BREAKDOWNS:
        counts = report.get(name) or {}
        assert sum(counts.values()) in (0, len(msgs)), name  # a breakdown adds up
    return report


@settings(max_examples=10, deadline=None)
@given(msgs=st.lists(messages, max_size=6, unique_by=lambda m: m.id))
def test_report_builders_on_any_day(msgs: list[Msg]) -> None:
    _report(msgs)


@pytest.mark.parametrize("shape", ["empty day", "one row", "all errors"])
def test_report_builders_on_the_edge_days(shape: str) -> None:
    one = Msg("m1", "c1", "u1", "2026-11-03 10:00")
    msgs = {
        "empty day": [],
        "one row": [one],
        "all errors": [
            Msg(f"m{i}", "c1", "u1", "2026-11-03 10:00", status="error", error="x")
            for i in range(3)
        ],
    }[shape]
    report = _report(msgs)
    if shape == "all errors":
        assert report["error_rate"] == 1.0


def _main(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's documented usage error
            code = int(exc.code or 0)
    return code, err.getvalue()


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@FAST
@given(text=st.one_of(nasty_text, st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True)))
def test_a_bad_today_or_partition_is_exit_2(text: str) -> None:
    assume(not text.startswith("-") and not _is_date(text))
    for argv in (["run", "--today", text], ["errors", "--partition", text]):
        code, err = _main(argv)
        assert code == 2, (argv, err)
        assert "Traceback" not in err and err.strip()


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@FAST
@given(days=st.one_of(st.integers(-(10**6), 0).map(str), nasty_text))
def test_a_bad_days_is_exit_2(days: str) -> None:
    value = _as_int(days)
    assume(value is None or value < 1)  # a valid count would start a real run
    code, err = _main(["run", f"--days={days}"])
    assert code == 2, err
    assert "Traceback" not in err
