"""`GET /v1/conversations` (list, filters, keyset pagination) and one conversation's turns.

Pagination is by keyset, not offset: the cursor carries the sort value, conversation id and
day of the last row returned, and the next page is "rows after that key" in the same order.
Re-materializing a partition replaces its file with the same rows (atomic rename), so a
client paging through meanwhile sees every row once, none twice; an offset would shift as soon
as any earlier row appeared or disappeared. The cursor also carries a digest of the filters and
sort it was made for, so it cannot be replayed against another query.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import polars as pl
import pyarrow as pa

from analytics_assets.defs.analytics.conversations import CONVERSATION_COLUMNS

_NOT_LISTED = {
    "message_tokens",
    "answer_tokens",
    "sentiment_score_start",
    "sentiment_score_end",
    "conversation_created_at",
    "new_conversation",
}

# sort name → column (all non-null in conversation_analytics).
SORTS: dict[str, str] = {
    "first_message_at": "first_message_at",
    "last_message_at": "last_message_at",
    "message_count": "message_count",
    "total_cost": "total_cost",
    "total_tokens": "total_tokens",
}
#: what a conversation list shows: the table less its token split, sentiment scores and
#: creation bookkeeping
LIST_COLUMNS = tuple(c for c in CONVERSATION_COLUMNS if c not in _NOT_LISTED)


# filter name → Polars condition on one value list (list columns match any of their values).
def _filter_expr(name: str, values: list[str]) -> pl.Expr:
    column = {
        "app": "app_id",
        "topic": "dominant_topic",
        "intent": "dominant_intent",
        "sentiment": "sentiment_end",
        "user_key": "user_key",
    }.get(name)
    if column is not None:
        return pl.col(column).is_in(values)
    list_column = {"model": "model_ids", "language": "languages"}[name]
    return pl.col(list_column).list.eval(pl.element().is_in(values)).list.any().fill_null(False)


FILTERS = ("app", "model", "language", "topic", "intent", "sentiment", "user_key")


class CursorError(ValueError):
    """A cursor that does not decode, or was made for another query."""


@dataclass(frozen=True)
class ConversationQuery:
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive
    sort: str = "first_message_at"
    descending: bool = True
    limit: int = 50
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    has_error: bool | None = None

    def digest(self) -> str:
        """What a cursor is bound to: everything but the page size."""
        body = json.dumps(
            [
                self.start.isoformat(),
                self.end.isoformat(),
                self.sort,
                self.descending,
                sorted((k, list(v)) for k, v in self.filters.items()),
                self.has_error,
            ]
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def encode_cursor(query: ConversationQuery, row: dict[str, Any]) -> str:
    key = [_plain(row[SORTS[query.sort]]), row["conversation_id"], _plain(row["date"])]
    raw = json.dumps({"q": query.digest(), "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: ConversationQuery, cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode()))
        digest, key = body["q"], body["k"]
        if not isinstance(key, list) or len(key) != 3:
            raise ValueError("bad key")
    except (ValueError, KeyError, TypeError) as exc:
        raise CursorError("cursor is not one this API issued") from exc
    if digest != query.digest():
        raise CursorError("cursor belongs to a query with other filters or sort")
    value, conversation_id, day = key
    if query.sort in ("first_message_at", "last_message_at"):
        try:
            value = datetime.fromisoformat(str(value).rstrip("Z"))
        except ValueError as exc:
            raise CursorError("cursor is not one this API issued") from exc
    try:
        return [value, str(conversation_id), date.fromisoformat(str(day))]
    except ValueError as exc:
        raise CursorError("cursor is not one this API issued") from exc


def selected(rows: pa.Table, query: ConversationQuery) -> pl.DataFrame:
    """The rows of `query` (range, filters) in its order: what every page of it slices.

    Built once per query and partition identity (the app caches it), so following a cursor
    is one vectorized comparison and a slice, not a new scan and sort."""
    frame = pl.from_arrow(rows) if rows.num_rows else pl.DataFrame()
    if frame.is_empty():
        return frame
    conditions = [
        pl.col("last_message_at") >= query.start,
        pl.col("first_message_at") < query.end,
    ]
    conditions += [_filter_expr(name, list(values)) for name, values in query.filters.items()]
    if query.has_error is not None:
        errors = pl.col("error_count") > 0
        conditions.append(errors if query.has_error else ~errors)
    order = [SORTS[query.sort], "conversation_id", "date"]
    columns = [c for c in LIST_COLUMNS if c in frame.columns]
    return (
        frame.filter(pl.all_horizontal(conditions))
        .select(columns)
        .sort(order, descending=query.descending, nulls_last=True)
    )


def list_page(
    frame: pl.DataFrame, query: ConversationQuery, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of `selected` rows after `cursor`, and the cursor of the next (None on the last
    page). The cursor is checked first, so a bad cursor is a 422 also over an empty range."""
    after = decode_cursor(query, cursor) if cursor else None
    if frame.is_empty():
        return [], None
    if after is not None:
        value, conversation_id, day = after
        col = pl.col(SORTS[query.sort])
        if query.descending:
            later = (col < value) | (
                (col == value)
                & (
                    (pl.col("conversation_id") < conversation_id)
                    | ((pl.col("conversation_id") == conversation_id) & (pl.col("date") < day))
                )
            )
        else:
            later = (col > value) | (
                (col == value)
                & (
                    (pl.col("conversation_id") > conversation_id)
                    | ((pl.col("conversation_id") == conversation_id) & (pl.col("date") > day))
                )
            )
        frame = frame.filter(later)
    fetched = frame.head(query.limit + 1).to_dicts()
    page = fetched[: query.limit]
    next_cursor = encode_cursor(query, page[-1]) if len(fetched) > query.limit else None
    return [{k: _plain(v) for k, v in r.items()} for r in page], next_cursor


def plain(value: Any) -> Any:
    """JSON-ready values (datetimes as ISO UTC text) for any row or document."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "_write_id"}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.isoformat().replace("+00:00", "Z")
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value
