"""`GET /v1/metrics`: one query over message facts, in the spirit of Langfuse's metrics API.

A query names `measures`, `dimensions`, a `granularity` and filters over a `[from, to)` range;
the answer is one row per (period, dimension values). Everything is computed by DuckDB from the
row-level facts of exactly that range (`store.py`), so distinct users, distinct conversations
and percentiles are right for any range, not sums of daily figures. The SQL is built only from
the fixed vocabularies below (names are never taken from the request); filter values travel
as bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

# measure name → SQL aggregate over the facts table.
MEASURES: dict[str, str] = {
    "messages": "count(*)",
    "conversations": "count(DISTINCT conversation_id)",
    "users": "count(DISTINCT user_key)",
    "message_tokens": "coalesce(sum(message_tokens), 0)",
    "answer_tokens": "coalesce(sum(answer_tokens), 0)",
    "tokens": "coalesce(sum(total_tokens), 0)",
    "cost": "coalesce(sum(total_cost), 0.0)",
    "latency_p50": "quantile_cont(latency, 0.50)",
    "latency_p95": "quantile_cont(latency, 0.95)",
    "latency_p99": "quantile_cont(latency, 0.99)",
    "latency_mean": "avg(latency)",
    "errors": "count(*) FILTER (WHERE is_error)",
    "error_rate": "avg(CASE WHEN is_error THEN 1.0 ELSE 0.0 END)",
    "sentiment_mean": "avg(sentiment_score) FILTER (WHERE sentiment <> 'unknown')",
    "positive_share": "avg(CASE WHEN sentiment = 'positive' THEN 1.0 ELSE 0.0 END)",
    "neutral_share": "avg(CASE WHEN sentiment = 'neutral' THEN 1.0 ELSE 0.0 END)",
    "negative_share": "avg(CASE WHEN sentiment = 'negative' THEN 1.0 ELSE 0.0 END)",
    "mixed_share": "avg(CASE WHEN sentiment = 'mixed' THEN 1.0 ELSE 0.0 END)",
}
# dimension / filter name → facts column.
DIMENSIONS: dict[str, str] = {
    "app": "app_id",
    "model": "model_id",
    "language": "language",
    "topic": "topic",
    "intent": "intent",
    "sentiment": "sentiment",
}
FILTERS: dict[str, str] = {**DIMENSIONS, "user_key": "user_key"}
GRANULARITIES = ("none", "hour", "day", "week", "month")
MAX_DIMENSIONS = 3
MAX_ROWS = 10_000


@dataclass(frozen=True)
class MetricsQuery:
    measures: tuple[str, ...]
    dimensions: tuple[str, ...]
    granularity: str
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    has_error: bool | None = None


class QueryError(ValueError):
    """A query the vocabulary does not allow; `field` names the offending parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_list(field_name: str, raw: str | None, allowed: Sequence[str], limit: int) -> tuple:
    """A comma-separated list of names from `allowed` (no duplicates, at most `limit`)."""
    if raw is None or not raw.strip():
        return ()
    items = tuple(dict.fromkeys(i.strip() for i in raw.split(",") if i.strip()))
    unknown = [i for i in items if i not in allowed]
    if unknown:
        raise QueryError(
            field_name, f"unknown {field_name}: {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    if len(items) > limit:
        raise QueryError(field_name, f"at most {limit} {field_name} per query, got {len(items)}")
    return items


def build_sql(query: MetricsQuery) -> tuple[str, list[Any]]:
    """The DuckDB SQL and its parameters for `query` over the table `facts`."""
    select: list[str] = []
    group: list[str] = []
    if query.granularity != "none":
        select.append(f"date_trunc('{query.granularity}', ts) AS period")
        group.append("period")
    for dim in query.dimensions:
        select.append(f"{DIMENSIONS[dim]} AS {dim}")
        group.append(dim)
    select += [f"{MEASURES[m]} AS {m}" for m in query.measures]
    where = ["ts >= ?", "ts < ?"]
    params: list[Any] = [query.start, query.end]
    for name, values in query.filters.items():
        where.append(f"{FILTERS[name]} IN ({', '.join('?' for _ in values)})")
        params.extend(values)
    if query.has_error is not None:
        where.append("is_error = ?")
        params.append(query.has_error)
    sql = f"SELECT {', '.join(select)} FROM facts WHERE {' AND '.join(where)}"
    if group:
        sql += f" GROUP BY {', '.join(group)} ORDER BY {', '.join(group)}"
    sql += f" LIMIT {MAX_ROWS + 1}"
    return sql, params


def run_query(con: duckdb.DuckDBPyConnection, facts: pa.Table, query: MetricsQuery) -> list[dict]:
    """Rows of the answer (periods as ISO text); raises QueryError past `MAX_ROWS` groups."""
    sql, params = build_sql(query)
    con.register("facts", facts)
    try:
        result = con.execute(sql, params)
        names = [d[0] for d in result.description]
        rows = result.fetchall()
    finally:
        con.unregister("facts")
    if len(rows) > MAX_ROWS:
        raise QueryError(
            "dimensions",
            f"the query has more than {MAX_ROWS} groups: use fewer dimensions, a coarser "
            "granularity or a shorter range",
        )
    out = []
    for row in rows:
        item = dict(zip(names, row, strict=True))
        if "period" in item and item["period"] is not None:
            item["period"] = item["period"].isoformat() + "Z"
        out.append(item)
    return out
