"""The demo source resource: window filtering, ordering, day spill-over, caching, Dagster use."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from dagster import asset, materialize

from analytics_assets import schemas
from analytics_assets.partitions import day_window
from analytics_assets.sources.base import SourceResource
from analytics_assets.sources.demo import generator as g
from analytics_assets.sources.demo import resource as demo_source
from analytics_assets.sources.demo.resource import DemoSourceResource

SEED = 11
PER_DAY = 3000
DAY = dt.date(2025, 4, 2)
PARSE = "%Y-%m-%d %H:%M:%S%:z"


@pytest.fixture(scope="module")
def source() -> DemoSourceResource:
    return DemoSourceResource(seed=SEED, messages_per_day=PER_DAY)


def _created(frame: pl.DataFrame) -> pl.Series:
    return frame["created_at"].str.strptime(schemas.UTC_TS, PARSE, strict=False)


def test_is_a_source_with_exact_wire_schemas(source: DemoSourceResource) -> None:
    assert isinstance(source, SourceResource)
    start, end = day_window(DAY.isoformat())
    assert source.fetch_conversations(start, end).schema == schemas.CONVERSATIONS_WIRE_SCHEMA
    assert source.fetch_messages(start, end).schema == schemas.MESSAGES_WIRE_SCHEMA


def test_conversations_of_a_day_are_the_generated_day(source: DemoSourceResource) -> None:
    start, end = day_window(DAY.isoformat())
    served = source.fetch_conversations(start, end)
    generated = g.generate_day(DAY, SEED, PER_DAY)[0]
    assert served.equals(generated)  # same rows, same order (created_at, id)
    created = _created(served)
    assert created.min() >= start and created.max() < end


def test_messages_window_spans_the_previous_day(source: DemoSourceResource) -> None:
    start, end = day_window(DAY.isoformat())
    served = source.fetch_messages(start, end)
    created = _created(served)
    wellformed = served.filter(created.is_not_null())
    assert (_created(wellformed) >= start).all() and (_created(wellformed) < end).all()

    # Messages after midnight of conversations that started the day before are served here...
    prev = g.generate_day(DAY - dt.timedelta(days=1), SEED, PER_DAY)[1]
    spill = prev.filter(_created(prev) >= start)
    assert spill.height > 0
    assert set(spill["id"].drop_nulls()) <= set(served["id"].drop_nulls())
    # ...and this day's own late messages belong to the next day's window, not this one.
    own = g.generate_day(DAY, SEED, PER_DAY)[1]
    late = own.filter(_created(own) >= end)
    assert late.height > 0
    assert set(late["id"]).isdisjoint(set(served["id"].drop_nulls()))
    next_start, next_end = day_window((DAY + dt.timedelta(days=1)).isoformat())
    assert set(late["id"]) <= set(source.fetch_messages(next_start, next_end)["id"])
    # Exactly the generated rows of D-1 and D that fall in the window, nothing else.
    in_window = (pl.col("_t") >= start) & (pl.col("_t") < end)
    expected = pl.concat(
        [
            prev.with_columns(_t=_created(prev)).filter(in_window),
            # An unparseable row counts as created at 00:00 of its generation day.
            own.with_columns(_t=_created(own).fill_null(start)).filter(in_window),
        ]
    )
    assert served.height == expected.height
    assert set(served["id"].drop_nulls()) == set(expected["id"].drop_nulls())


def test_rows_are_ordered_by_created_at_then_id(source: DemoSourceResource) -> None:
    start, end = day_window(DAY.isoformat())
    for frame in (source.fetch_conversations(start, end), source.fetch_messages(start, end)):
        keyed = frame.with_columns(_t=_created(frame).fill_null(start))
        assert keyed.equals(keyed.sort(["_t", "id"], nulls_last=True))


def test_unparseable_rows_are_served_once_on_their_generation_day(
    source: DemoSourceResource,
) -> None:
    start, end = day_window(DAY.isoformat())
    mid = start + dt.timedelta(hours=12)
    first_half = source.fetch_messages(start, mid)
    second_half = source.fetch_messages(mid, end)
    whole = source.fetch_messages(start, end)
    bad = whole.filter(pl.col("created_at") == g.BAD_CREATED_AT)
    assert bad.height == 1  # only this day's bad row, not the one generated for D-1
    assert first_half.filter(pl.col("created_at") == g.BAD_CREATED_AT).height == 1
    assert second_half.filter(pl.col("created_at") == g.BAD_CREATED_AT).height == 0
    # Two half-day windows tile the day: together they are exactly the whole day.
    assert pl.concat([first_half, second_half]).equals(whole)
    # The malformed kinds reach the consumer unchanged.
    assert whole["id"].null_count() == 1
    assert whole["conversation_id"].null_count() == 1
    assert (whole["query"].str.len_bytes() >= g.HUGE_QUERY_BYTES).sum() == 1
    assert source.fetch_conversations(start, end)["id"].null_count() == 1


def test_empty_naive_and_multi_day_windows(source: DemoSourceResource) -> None:
    start, end = day_window(DAY.isoformat())
    empty = source.fetch_messages(end, start)
    assert empty.height == 0 and empty.schema == schemas.MESSAGES_WIRE_SCHEMA
    naive = source.fetch_conversations(start.replace(tzinfo=None), end.replace(tzinfo=None))
    assert naive.equals(source.fetch_conversations(start, end))
    two_days = source.fetch_conversations(start, end + dt.timedelta(days=1))
    assert two_days.height == source.fetch_conversations(start, end).height + (
        source.fetch_conversations(end, end + dt.timedelta(days=1)).height
    )
    hour = source.fetch_messages(start + dt.timedelta(hours=14), start + dt.timedelta(hours=15))
    assert 0 < hour.height < PER_DAY


def test_generated_days_are_cached(source: DemoSourceResource) -> None:
    demo_source._day_frames.cache_clear()
    start, end = day_window((DAY + dt.timedelta(days=5)).isoformat())
    source.fetch_conversations(start, end)
    misses = demo_source._day_frames.cache_info().misses
    source.fetch_messages(start, end)  # needs D-1 (new) and D (cached)
    info = demo_source._day_frames.cache_info()
    assert info.misses == misses + 1
    assert info.hits >= 1


def test_without_malformed_rows() -> None:
    clean = DemoSourceResource(seed=SEED, messages_per_day=500, include_malformed=False)
    start, end = day_window(DAY.isoformat())
    messages = clean.fetch_messages(start, end)
    assert messages["id"].null_count() == 0
    assert _created(messages).null_count() == 0


def test_serves_a_dagster_asset() -> None:
    """The resource works as a Dagster resource under the `source` key."""
    seen: dict[str, int] = {}

    @asset
    def demo_counts(source: SourceResource) -> None:
        start, end = day_window(DAY.isoformat())
        seen["conversations"] = source.fetch_conversations(start, end).height
        seen["messages"] = source.fetch_messages(start, end).height

    result = materialize(
        [demo_counts], resources={"source": DemoSourceResource(seed=SEED, messages_per_day=200)}
    )
    assert result.success
    assert seen["conversations"] > 0 and seen["messages"] > 0
