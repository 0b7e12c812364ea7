"""The built-in demo source: what `make run` reads when `ANALYTICS_SOURCE=demo` (the default).

It serves `demo.generator` days behind the same `SourceResource` interface as the NocoDB client,
so switching source is configuration. The generator works per *start day* of a conversation,
while the interface asks for rows *created* in a window, so the resource generates every day
that can contribute and filters:

* conversations are created on the day the generator made them for: days `start..end`;
* messages of a conversation started late on day D-1 may be created on day D (conversations last
  at most a few hours), so messages need days `start - 1 .. end`.

Rows whose `created_at` does not parse (the generator's `message_bad_timestamp` row) are served
with the day the generator produced them for: they count as created at that day's 00:00:00 UTC,
so a tiling of windows (e.g. daily partitions) serves each of them exactly once, in the
partition of its generation day. Output is ordered by created_at (that effective time for those
rows) then id, null ids last.

Generated days are cached in-process (small LRU keyed by day, seed, size), so fetching
conversations and then messages for the same partition generates each day once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import polars as pl

from analytics_assets import schemas
from analytics_assets.sources.base import SourceResource
from analytics_assets.sources.demo.generator import generate_day

_T = "_served_at"  # effective created_at (UTC microseconds) used for windowing and ordering
_DAY_CACHE_SIZE = 4  # a daily run needs days D-1 and D; keep a little slack, not more (1M/day)


@lru_cache(maxsize=_DAY_CACHE_SIZE)
def _day_frames(
    day: date, seed: int, messages_per_day: int, malformed: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One generated day, each frame with its effective created_at in `_served_at`."""
    conversations, messages = generate_day(day, seed, messages_per_day, malformed=malformed)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    served = (
        pl.col("created_at")
        .str.strptime(schemas.UTC_TS, "%Y-%m-%d %H:%M:%S%:z", strict=False)
        .fill_null(pl.lit(midnight, dtype=schemas.UTC_TS))
        .alias(_T)
    )
    return conversations.with_columns(served), messages.with_columns(served)


def _utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class DemoSourceResource(SourceResource):
    """Deterministic Dify-shaped demo data (see `analytics_assets.sources.demo.generator`).

    `seed` and `messages_per_day` come from `DEMO_SEED` / `DEMO_MESSAGES_PER_DAY`
    (`settings.get_settings()`). `include_malformed=False` leaves out the few deliberately
    malformed rows per day (`generator.MALFORMED_KINDS`).
    """

    seed: int = 42
    messages_per_day: int = 2000
    include_malformed: bool = True

    def fetch_conversations(self, start: datetime, end: datetime) -> pl.DataFrame:
        return self._fetch(start, end, table=0, days_before=0)

    def fetch_messages(self, start: datetime, end: datetime) -> pl.DataFrame:
        return self._fetch(start, end, table=1, days_before=1)

    def _fetch(
        self, start: datetime, end: datetime, *, table: int, days_before: int
    ) -> pl.DataFrame:
        schema = schemas.CONVERSATIONS_WIRE_SCHEMA if table == 0 else schemas.MESSAGES_WIRE_SCHEMA
        if self.messages_per_day < 0:
            raise ValueError(f"messages_per_day must be >= 0, got {self.messages_per_day}")
        start, end = _utc(start), _utc(end)
        if end <= start:
            return schemas.empty(schema)
        first = start.date() - timedelta(days=days_before)
        last = (end - timedelta(microseconds=1)).date()
        frames = [
            _day_frames(
                first + timedelta(days=i), self.seed, self.messages_per_day, self.include_malformed
            )[table]
            for i in range((last - first).days + 1)
        ]
        window = (pl.col(_T) >= start) & (pl.col(_T) < end)
        return (
            pl.concat(frames)
            .filter(window)
            .sort([_T, "id"], nulls_last=True, maintain_order=True)
            .select(schema.names())
        )
