"""Wire rows → raw rows plus error records, as pure Polars functions.

Every source (demo generator, NocoDB) hands over the wire schema; this is the one place where
timestamps are parsed and malformed rows are separated. A malformed row is never dropped
silently: it becomes a `PROCESSING_ERRORS_SCHEMA` row naming the record and the reason, and the
partition still succeeds with the rows that are sound.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from analytics_assets.privacy import mask_pii_expr
from analytics_assets.schemas import (
    CONVERSATION_TIMESTAMPS,
    CONVERSATIONS_WIRE_SCHEMA,
    MESSAGE_TIMESTAMPS,
    MESSAGES_WIRE_SCHEMA,
    PROCESSING_ERRORS_SCHEMA,
    RAW_CONVERSATIONS_SCHEMA,
    RAW_MESSAGES_SCHEMA,
    UTC_TS,
    conform,
)

STAGE = "ingestion"

# Formats seen from Dify (`2026-11-05 10:00:00+00:00`), NocoDB and ISO-8601 writers. A value
# without an offset is taken as UTC, which is what Dify stores.
_TZ_FORMATS = (
    "%Y-%m-%d %H:%M:%S%:z",
    "%Y-%m-%dT%H:%M:%S%:z",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.fZ",
)
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S%.f")

# Reasons, as stored in processing_errors.reason.
MISSING_ID = "missing_id"
MISSING_CONVERSATION_ID = "missing_conversation_id"
BAD_TIMESTAMP = "bad_timestamp"
OUTSIDE_PARTITION = "outside_partition"
DUPLICATE_ID = "duplicate_id"
NEGATIVE_VALUE = "negative_value"
BAD_TYPE = "bad_type"


def parse_timestamp(column: str) -> pl.Expr:
    """Text → UTC datetime; null where the text is not a timestamp (never raises)."""
    col = pl.col(column).str.strip_chars()
    tries = [col.str.strptime(UTC_TS, fmt, strict=False) for fmt in _TZ_FORMATS]
    tries += [
        col.str.strptime(pl.Datetime("us"), fmt, strict=False).dt.replace_time_zone("UTC")
        for fmt in _NAIVE_FORMATS
    ]
    return pl.coalesce(tries).alias(column)


@dataclass(frozen=True)
class Normalized:
    """The sound rows of a window and the error records of the rest."""

    rows: pl.DataFrame
    errors: pl.DataFrame
    source_rows: int

    @property
    def error_counts(self) -> dict[str, int]:
        if self.errors.is_empty():
            return {}
        counts = self.errors.group_by("reason").len().sort("reason")
        return dict(zip(counts["reason"], counts["len"], strict=True))


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def _coerce(wire: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """`wire` cast to `schema`, with a `_type_error` column naming the first value per row that
    could not become its column's type (a source that sent `"12a"` for a token count, or a
    number for a timestamp). Such a value is nulled here and the row rejected below, so a
    wrong type costs that row, never the partition (and never an exception)."""
    columns: list[pl.Series] = []
    problems: list[pl.Series] = []
    for name, dtype in schema.items():
        if name not in wire.columns:
            columns.append(pl.Series(name, [None] * wire.height, dtype=dtype))
            continue
        values = wire.get_column(name)
        if values.dtype == dtype:
            columns.append(values)
            continue
        try:
            cast = values.cast(dtype, strict=False)
        except pl.exceptions.PolarsError:  # no cast exists between the two types at all
            cast = pl.Series(name, [None] * wire.height, dtype=dtype)
        lost = values.is_not_null() & cast.is_null()
        text = values.cast(pl.String, strict=False).fill_null("?").str.slice(0, 64)
        problems.append(
            pl.select(
                pl.when(pl.lit(lost)).then(pl.lit(f"{name}=") + pl.lit(text)).alias("p")
            ).to_series()
        )
        columns.append(cast.alias(name))
    frame = pl.DataFrame(columns)
    if problems:
        first = pl.select(pl.coalesce([pl.lit(p) for p in problems])).to_series()
        return frame.with_columns(first.alias("_type_error"))
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias("_type_error"))


def _surrogate_ids(rows: pl.DataFrame) -> list[str]:
    """Stable ids for rejected rows that have none: a hash of the row's content.

    Runs in Python, but only over the (few) rejected rows, never over the partition.
    """
    out = []
    for row in rows.iter_rows(named=True):
        digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
        out.append(f"row-sha256:{digest[:24]}")
    return out


@dataclass(frozen=True)
class WireTable:
    """What a Dify table's rows are checked against: its schemas and its rules."""

    wire_schema: pl.Schema
    raw_schema: pl.Schema
    timestamps: tuple[str, ...]
    record_type: str
    #: column → the reason recorded when it is blank (checked first, in this order)
    required: dict[str, str]
    non_negative: tuple[str, ...]


MESSAGES = WireTable(
    MESSAGES_WIRE_SCHEMA,
    RAW_MESSAGES_SCHEMA,
    MESSAGE_TIMESTAMPS,
    "message",
    required={"id": MISSING_ID, "conversation_id": MISSING_CONVERSATION_ID},
    non_negative=("message_tokens", "answer_tokens", "total_price"),
)
CONVERSATIONS = WireTable(
    CONVERSATIONS_WIRE_SCHEMA,
    RAW_CONVERSATIONS_SCHEMA,
    CONVERSATION_TIMESTAMPS,
    "conversation",
    required={"id": MISSING_ID},
    non_negative=("system_instruction_tokens", "dialogue_count"),
)


def _normalize(
    wire: pl.DataFrame,
    table: WireTable,
    *,
    asset: str,
    partition: str,
    window: tuple[datetime, datetime] | None,
) -> Normalized:
    timestamps = table.timestamps
    wire = _coerce(wire, table.wire_schema).with_row_index("_row")
    parsed = wire.with_columns([parse_timestamp(c).alias(f"_ts_{c}") for c in timestamps])

    # The first failing rule names the reason; order matters (an id problem hides the rest).
    checks: list[tuple[pl.Expr, str, pl.Expr]] = []
    for column, reason in table.required.items():
        checks.append((_blank(column), reason, pl.lit("")))
    checks.append((pl.col("_type_error").is_not_null(), BAD_TYPE, pl.col("_type_error")))
    for c in timestamps:
        bad = pl.col(c).is_not_null() & pl.col(f"_ts_{c}").is_null()
        if c == "created_at":
            bad = bad | pl.col(c).is_null()
        checks.append(
            (bad, BAD_TIMESTAMP, pl.format("{}={}", pl.lit(c), pl.col(c).str.slice(0, 64)))
        )
    if window is not None:
        start, end = window
        outside = (pl.col("_ts_created_at") < start) | (pl.col("_ts_created_at") >= end)
        checks.append((outside, OUTSIDE_PARTITION, pl.col("created_at")))
    for c in table.non_negative:
        checks.append((pl.col(c) < 0, NEGATIVE_VALUE, pl.format("{}={}", pl.lit(c), pl.col(c))))

    reason = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    detail = pl.when(checks[0][0]).then(checks[0][2])
    for cond, why, what in checks[1:]:
        reason = reason.when(cond).then(pl.lit(why))
        detail = detail.when(cond).then(what)
    flagged = parsed.with_columns(
        reason.otherwise(None).alias("_reason"),
        detail.otherwise(None).cast(pl.String).alias("_detail"),
    )

    good = flagged.filter(pl.col("_reason").is_null())
    bad = flagged.filter(pl.col("_reason").is_not_null())

    # Duplicate ids inside the window: keep the most recently updated copy, record the others.
    good = good.sort(["id", "_ts_updated_at", "_row"], nulls_last=False)
    is_last = pl.col("_row") == pl.col("_row").last().over("id")
    dupes = good.filter(~is_last).with_columns(
        pl.lit(DUPLICATE_ID).alias("_reason"), pl.lit("older copy of the same id").alias("_detail")
    )
    good = good.filter(is_last).sort("_row")
    bad = pl.concat([bad, dupes], how="vertical").sort("_row")

    rows = good.with_columns([pl.col(f"_ts_{c}").alias(c) for c in timestamps]).sort(
        ["created_at", "id"]
    )
    rows = conform(rows, table.raw_schema)

    errors = _error_frame(bad, record_type=table.record_type, asset=asset, partition=partition)
    return Normalized(rows=rows, errors=errors, source_rows=wire.height)


def _distinct_ids(ids: pl.Series) -> pl.Series:
    """Record ids made distinct: the 2nd, 3rd... rejected row of one id gets `<id>#2`, `#3`
    (in source order, so a re-run gives the same ids). `processing_errors` is keyed by record
    id: without this, three copies of an id would record two errors for two rejected rows
    and the third would vanish."""
    seen = pl.int_range(pl.len()).over("record_id")
    return (
        pl.DataFrame({"record_id": ids})
        .select(
            pl.when(seen == 0)
            .then(pl.col("record_id"))
            .otherwise(pl.col("record_id") + "#" + (seen + 1).cast(pl.String))
        )
        .to_series()
        .alias("record_id")
    )


def _error_frame(
    bad: pl.DataFrame, *, record_type: str, asset: str, partition: str
) -> pl.DataFrame:
    if bad.is_empty():
        return pl.DataFrame(schema=PROCESSING_ERRORS_SCHEMA)
    missing = bad.filter(_blank("id"))
    surrogates = dict(
        zip(missing["_row"].to_list(), _surrogate_ids(missing.drop("_row")), strict=True)
    )
    ids = [
        surrogates.get(r, i)
        for r, i in zip(bad["_row"].to_list(), bad["id"].to_list(), strict=True)
    ]
    is_message = record_type == "message"
    frame = bad.select(
        pl.lit(asset).alias("asset"),
        pl.lit(partition).alias("partition"),
        pl.lit(STAGE).alias("stage"),
        pl.lit(record_type).alias("record_type"),
        _distinct_ids(pl.Series("record_id", ids, dtype=pl.String)),
        (pl.col("conversation_id") if is_message else pl.col("id")).alias("conversation_id"),
        (pl.col("id") if is_message else pl.lit(None, dtype=pl.String)).alias("message_id"),
        pl.col("_reason").alias("reason"),
        mask_pii_expr(pl.col("_detail")).alias("detail"),
    )
    # One error per rejected row; record ids are distinct (`_distinct_ids`), so none is lost
    # to the (asset, partition, stage, record_id) key of processing_errors.
    return conform(frame, PROCESSING_ERRORS_SCHEMA)


def normalize_messages(
    wire: pl.DataFrame,
    *,
    asset: str,
    partition: str,
    window: tuple[datetime, datetime] | None = None,
) -> Normalized:
    """Parse and validate a window of `messages` rows.

    Rejected: no id, no conversation id, unparseable `created_at`/`updated_at`, a `created_at`
    outside `window`, negative tokens or prices, and older duplicates of an id.
    """
    return _normalize(wire, MESSAGES, asset=asset, partition=partition, window=window)


def normalize_conversations(
    wire: pl.DataFrame,
    *,
    asset: str,
    partition: str,
    window: tuple[datetime, datetime] | None = None,
) -> Normalized:
    """Parse and validate a window of `conversations` rows (same rules as messages)."""
    return _normalize(wire, CONVERSATIONS, asset=asset, partition=partition, window=window)
