"""Daily, weekly and monthly reports, computed from the row-level messages of the period.

Distinct users, distinct conversations and latency percentiles do not add up from daily
figures, so every report (daily, weekly, monthly alike) is computed from the prepared message
rows of its whole period (`analytics.prepare`), never by summing smaller reports. One function,
`build_report`, serves the three period types; the assets only choose the rows and the period.

A report is a plain dict (the MongoDB `analytics_reports` document and the JSON the CLI
prints); `report_frame` flattens reports into one Parquet row per period.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from analytics_assets.defs.analytics.prepare import UNKNOWN
from analytics_assets.markdown import markdown_table

PERIOD_TYPES = ("daily", "weekly", "monthly")

# Headline figures, in the order the report, the Markdown table and the CLI table show them.
CORE_FIELDS = (
    "messages",
    "conversations",
    "new_conversations",
    "users",
    "avg_messages_per_conversation",
    "message_tokens",
    "answer_tokens",
    "total_tokens",
    "total_cost",
    "latency_p50",
    "latency_p95",
    "error_messages",
    "error_rate",
)
BREAKDOWNS = {
    "by_topic": "topic",
    "by_intent": "intent",
    "by_sentiment": "sentiment",
    "by_language": "language",
}
GROUPED = {"by_model": "model_id", "by_app": "app_id"}

DAILY_SERIES_SCHEMA = pl.Schema(
    {
        "date": pl.Date(),
        "messages": pl.Int64(),
        "users": pl.Int64(),
        "conversations": pl.Int64(),
        "total_cost": pl.Float64(),
        "latency_p50": pl.Float64(),
        "latency_p95": pl.Float64(),
        "error_rate": pl.Float64(),
    }
)


@dataclass(frozen=True)
class Period:
    """A report period: `[start, end)` in UTC days, named by its Dagster partition key."""

    period_type: str
    key: str
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def report_id(self) -> str:
        return f"{self.period_type}_{self.key}"

    @property
    def label(self) -> str:
        """Human name: `2025-01-06`, `2025-W02`, `2025-01`."""
        if self.period_type == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.period_type == "monthly":
            return self.start.strftime("%Y-%m")
        return self.key

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def start_datetime(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), tzinfo=UTC)

    def end_datetime(self) -> datetime:
        return datetime.combine(self.end, datetime.min.time(), tzinfo=UTC)


def period_for(period_type: str, day: date) -> Period:
    """The daily/weekly (ISO, Monday start)/monthly period that contains `day`.

    The key is the Dagster partition key of the period: the day, the week's Monday, the
    month's first day.
    """
    if period_type == "daily":
        return Period("daily", day.isoformat(), day, day + timedelta(days=1))
    if period_type == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Period("weekly", monday.isoformat(), monday, monday + timedelta(days=7))
    if period_type == "monthly":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period("monthly", first.isoformat(), first, following)
    raise ValueError(f"period type must be one of {PERIOD_TYPES}, got {period_type!r}")


def _core_exprs(period: Period) -> list[pl.Expr]:
    in_period = (pl.col("conversation_created_at") >= period.start_datetime()) & (
        pl.col("conversation_created_at") < period.end_datetime()
    )
    return [
        pl.len().cast(pl.Int64).alias("messages"),
        pl.col("conversation_id").n_unique().cast(pl.Int64).alias("conversations"),
        pl.col("conversation_id")
        .filter(in_period)
        .n_unique()
        .cast(pl.Int64)
        .alias("new_conversations"),
        pl.col("user_key").drop_nulls().n_unique().cast(pl.Int64).alias("users"),
        pl.col("message_tokens").sum().cast(pl.Int64).alias("message_tokens"),
        pl.col("answer_tokens").sum().cast(pl.Int64).alias("answer_tokens"),
        pl.col("total_tokens").sum().cast(pl.Int64).alias("total_tokens"),
        pl.col("total_cost").sum().cast(pl.Float64).alias("total_cost"),
        pl.col("latency").quantile(0.50, interpolation="linear").alias("latency_p50"),
        pl.col("latency").quantile(0.95, interpolation="linear").alias("latency_p95"),
        pl.col("is_error").sum().cast(pl.Int64).alias("error_messages"),
    ]


def _ratios(figures: dict[str, Any]) -> dict[str, Any]:
    """Add the two ratios (0.0 for an empty period rather than a division by zero)."""
    messages, conversations = figures["messages"], figures["conversations"]
    figures["avg_messages_per_conversation"] = messages / conversations if conversations else 0.0
    figures["error_rate"] = figures["error_messages"] / messages if messages else 0.0
    return {name: figures[name] for name in CORE_FIELDS}


def _label_counts(rows: pl.DataFrame, column: str) -> dict[str, int]:
    counts = (
        rows.group_by(pl.col(column).fill_null(UNKNOWN))
        .len()
        .sort(["len", column], descending=[True, False])
    )
    return {str(k): int(v) for k, v in zip(counts[column], counts["len"], strict=True)}


def _grouped(rows: pl.DataFrame, column: str, period: Period) -> dict[str, dict[str, Any]]:
    grouped = (
        rows.group_by(pl.col(column).fill_null(UNKNOWN))
        .agg(_core_exprs(period))
        .sort(["messages", column], descending=[True, False])
    )
    return {str(row.pop(column)): _ratios(row) for row in grouped.to_dicts()}


def period_rows(prepared: pl.DataFrame, period: Period) -> pl.DataFrame:
    """The prepared messages whose UTC day falls inside the period."""
    return prepared.filter((pl.col("date") >= period.start) & (pl.col("date") < period.end))


def build_report(prepared: pl.DataFrame, period: Period, rejected_rows: int = 0) -> dict[str, Any]:
    """The report of `period` from the prepared message rows (rows outside it are ignored).

    `rejected_rows`: malformed source rows of the period that went to `processing_errors`
    instead of the raw assets (the asset reads them from MongoDB).
    """
    rows = period_rows(prepared, period)
    headline = _ratios(rows.select(_core_exprs(period)).to_dicts()[0])
    currencies = sorted(c for c in rows["currency"].drop_nulls().unique().to_list() if c)
    report: dict[str, Any] = {
        "_id": period.report_id,
        "period_type": period.period_type,
        "period_key": period.key,
        "period_label": period.label,
        # `period_end` is exclusive (the storage contract of analytics_reports);
        # `period_last_day` is the last day included, for people.
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "period_last_day": period.last_day.isoformat(),
        **headline,
        "currency": ",".join(currencies) if currencies else None,
        "active_days": int(rows["date"].n_unique()),
        **{name: _label_counts(rows, column) for name, column in BREAKDOWNS.items()},
        **{name: _grouped(rows, column, period) for name, column in GROUPED.items()},
        "rejected_rows": int(rejected_rows),
    }
    return report


def daily_series(prepared: pl.DataFrame, period: Period) -> pl.DataFrame:
    """One row per day of the period (days without messages included, as zeros)."""
    rows = period_rows(prepared, period)
    per_day = rows.group_by("date").agg(
        pl.len().cast(pl.Int64).alias("messages"),
        pl.col("user_key").drop_nulls().n_unique().cast(pl.Int64).alias("users"),
        pl.col("conversation_id").n_unique().cast(pl.Int64).alias("conversations"),
        pl.col("total_cost").sum().alias("total_cost"),
        pl.col("latency").quantile(0.50, interpolation="linear").alias("latency_p50"),
        pl.col("latency").quantile(0.95, interpolation="linear").alias("latency_p95"),
        (pl.col("is_error").sum() / pl.len()).alias("error_rate"),
    )
    days = pl.DataFrame({"date": period.days()}, schema={"date": pl.Date()})
    series = days.join(per_day, on="date", how="left").with_columns(
        pl.col("messages", "users", "conversations").fill_null(0),
        pl.col("total_cost", "error_rate").fill_null(0.0),
    )
    return series.select([pl.col(c).cast(t) for c, t in DAILY_SERIES_SCHEMA.items()]).sort("date")


REPORT_FRAME_SCHEMA = pl.Schema(
    {
        "report_id": pl.String(),
        "period_type": pl.String(),
        "period_key": pl.String(),
        "period_label": pl.String(),
        "period_start": pl.Date(),
        "period_end": pl.Date(),
        "period_last_day": pl.Date(),
        "messages": pl.Int64(),
        "conversations": pl.Int64(),
        "new_conversations": pl.Int64(),
        "users": pl.Int64(),
        "avg_messages_per_conversation": pl.Float64(),
        "message_tokens": pl.Int64(),
        "answer_tokens": pl.Int64(),
        "total_tokens": pl.Int64(),
        "total_cost": pl.Float64(),
        "currency": pl.String(),
        "latency_p50": pl.Float64(),
        "latency_p95": pl.Float64(),
        "error_messages": pl.Int64(),
        "error_rate": pl.Float64(),
        "active_days": pl.Int64(),
        "rejected_rows": pl.Int64(),
        "html_path": pl.String(),
        # Breakdowns as JSON text (label → count, or name → core figures).
        "by_topic": pl.String(),
        "by_intent": pl.String(),
        "by_sentiment": pl.String(),
        "by_language": pl.String(),
        "by_model": pl.String(),
        "by_app": pl.String(),
    }
)


def report_frame(reports: list[dict[str, Any]]) -> pl.DataFrame:
    """Reports → one Parquet row per period (breakdowns as JSON text)."""
    rows = []
    for report in reports:
        row = {k: v for k, v in report.items() if k != "_id"}
        row["report_id"] = report["_id"]
        row["period_start"] = date.fromisoformat(report["period_start"])
        row["period_end"] = date.fromisoformat(report["period_end"])
        row["period_last_day"] = date.fromisoformat(report["period_last_day"])
        for name in (*BREAKDOWNS, *GROUPED):
            row[name] = json.dumps(report[name], sort_keys=True)
        rows.append({c: row.get(c) for c in REPORT_FRAME_SCHEMA.names()})
    return pl.DataFrame(rows, schema=REPORT_FRAME_SCHEMA, orient="row")


def report_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """Inverse of `report_frame` for one row (used to read reports back from Parquet)."""
    report = {k: v for k, v in row.items() if not (k == "html_path" and v is None)}
    report["_id"] = report.pop("report_id")
    for name in ("period_start", "period_end", "period_last_day"):
        value = report[name]
        report[name] = value.isoformat() if isinstance(value, date) else value
    for name in (*BREAKDOWNS, *GROUPED):
        report[name] = json.loads(report[name]) if report[name] else {}
    return report


def headline_markdown(reports: list[dict[str, Any]]) -> str:
    """A Markdown table of the headline figures, one column per period."""
    return markdown_table(
        ["figure", *(r["period_label"] for r in reports)],
        ([name, *(_fmt(r.get(name)) for r in reports)] for name in (*CORE_FIELDS, "rejected_rows")),
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
