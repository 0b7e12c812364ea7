"""A self-contained HTML page for one report period (daily, weekly or monthly).

The report assets write this page next to their Parquet and link it from the materialization
metadata, so a person can open one file and see the period at a glance. The page must work
offline and from any file server: CSS is inline, charts are inline SVG (`analytics_assets.charts`,
shared with the dashboard), and there is no script and no external URL. Every label comes from
data (topics, model and app names), so the page is a Jinja2 template with autoescape
(`templates/report.html.j2`); this module only decides what goes on it.

Pure function: `render_report_html(report, daily_series) -> str`, no I/O beyond the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2
import polars as pl
from markupsafe import Markup

from analytics_assets.charts import (
    PALETTE,
    SENTIMENT_COLOURS,
    as_number,
    bar_chart,
    column_chart,
    day_label,
    fmt_cost,
    fmt_float,
    fmt_int,
    fmt_percent,
    fmt_seconds,
    grouped_bar_chart,
)

# Columns of the per-day series the charts are drawn from (missing columns are drawn as gaps).
DAILY_SERIES_COLUMNS = (
    "date",
    "messages",
    "users",
    "conversations",
    "total_cost",
    "latency_p50",
    "latency_p95",
    "error_rate",
)

_BREAKDOWN_COLUMNS = (
    ("messages", "Messages", fmt_int),
    ("conversations", "Conversations", fmt_int),
    ("users", "Users", fmt_int),
    ("total_tokens", "Tokens", fmt_int),
    ("total_cost", "Cost", fmt_cost),
    ("latency_p50", "p50", fmt_seconds),
    ("latency_p95", "p95", fmt_seconds),
    ("error_rate", "Error rate", fmt_percent),
)
_DAILY_FORMATS = {
    "messages": fmt_int,
    "users": fmt_int,
    "conversations": fmt_int,
    "total_cost": fmt_cost,
    "latency_p50": fmt_seconds,
    "latency_p95": fmt_seconds,
    "error_rate": fmt_percent,
}


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analytics_assets.defs.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing field is a bug, not an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def _panel(title: str, chart: str, legend: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    return {"title": title, "chart": Markup(chart), "legend": list(legend)}  # noqa: S704


def _mapping(report: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = report.get(key)
    return value if isinstance(value, Mapping) else {}


def _cards(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    currency = report.get("currency")
    error_rate = as_number(report.get("error_rate")) or 0.0
    rejected = as_number(report.get("rejected_rows")) or 0.0
    high_errors = error_rate > 0.05
    cards = [
        ("Messages", fmt_int(report.get("messages")), False),
        ("Conversations", fmt_int(report.get("conversations")), False),
        ("New conversations", fmt_int(report.get("new_conversations")), False),
        ("Users", fmt_int(report.get("users")), False),
        ("Messages / conversation", fmt_float(report.get("avg_messages_per_conversation")), False),
        ("Total tokens", fmt_int(report.get("total_tokens")), False),
        (
            f"Total cost ({currency})" if currency else "Total cost",
            fmt_cost(report.get("total_cost")),
            False,
        ),
        ("Latency p50", fmt_seconds(report.get("latency_p50")), False),
        ("Latency p95", fmt_seconds(report.get("latency_p95")), False),
        ("Error messages", fmt_int(report.get("error_messages")), high_errors),
        ("Error rate", fmt_percent(report.get("error_rate")), high_errors),
        ("Rejected rows", fmt_int(report.get("rejected_rows")), rejected > 0),
    ]
    return [{"label": label, "value": value, "warn": warn} for label, value, warn in cards]


def _series(daily_series: pl.DataFrame) -> tuple[list[str], dict[str, list[object]]]:
    """Per-day labels and columns, sorted by date; absent columns become all-missing."""
    if daily_series.is_empty() or "date" not in daily_series.columns:
        return [], {}
    frame = daily_series.sort("date")
    labels = [day_label(v) for v in frame.get_column("date").to_list()]
    columns = {
        name: (frame.get_column(name).to_list() if name in frame.columns else [None] * frame.height)
        for name in DAILY_SERIES_COLUMNS[1:]
    }
    return labels, columns


def _in_period(labels: Sequence[str], report: Mapping[str, Any]) -> list[bool]:
    """Which days lie inside [period_start, period_end] (all of them when the period is unknown).

    The report assets may pass a few context days around a short period; those are faded.
    """
    start, end = report.get("period_start"), report.get("period_end")
    if not start or not end:
        return [True] * len(labels)
    low, high = day_label(start)[:10], day_label(end)[:10]
    return [low <= label[:10] <= high for label in labels]


def _over_time(labels: list[str], columns: dict, flags: list[bool]) -> list[dict[str, Any]]:
    if not labels:
        return []
    charts = (
        ("Messages per day", "messages", PALETTE[0], fmt_int),
        ("Users per day", "users", PALETTE[1], fmt_int),
        ("Conversations per day", "conversations", PALETTE[4], fmt_int),
        ("Cost per day", "total_cost", PALETTE[2], fmt_cost),
    )
    return [
        _panel(
            title,
            column_chart(
                labels, columns[key], colour=colour, value_format=fmt, in_period=flags, title=title
            ),
        )
        for title, key, colour, fmt in charts
    ]


def _cost_and_latency(
    report: Mapping[str, Any], labels: list[str], columns: dict
) -> list[dict[str, Any]]:
    by_model = _mapping(report, "by_model")
    models = sorted((str(k), v) for k, v in by_model.items() if isinstance(v, Mapping))
    cost_items = [(name, figures.get("total_cost")) for name, figures in models]
    latency_groups: list[tuple[str, Sequence[object]]] = [
        ("all models", (report.get("latency_p50"), report.get("latency_p95")))
    ]
    latency_groups += [
        (name, (figures.get("latency_p50"), figures.get("latency_p95"))) for name, figures in models
    ]
    panels = [
        _panel(
            "Cost by model",
            bar_chart(cost_items, value_format=fmt_cost, show_share=True, title="Cost by model"),
        ),
        _panel(
            "Latency percentiles",
            grouped_bar_chart(latency_groups, ("p50", "p95"), title="Latency percentiles"),
            legend=[("p50", PALETTE[0]), ("p95", PALETTE[1])],
        ),
    ]
    if len(labels) > 1:
        panels.append(
            _panel(
                "Latency p95 per day",
                column_chart(
                    labels,
                    columns["latency_p95"],
                    colour=PALETTE[3],
                    value_format=fmt_seconds,
                    title="Latency p95 per day",
                ),
            )
        )
        panels.append(
            _panel(
                "Error rate per day",
                column_chart(
                    labels,
                    columns["error_rate"],
                    colour=PALETTE[5],
                    value_format=fmt_percent,
                    axis_format=lambda v: f"{v * 100:g}%",
                    title="Error rate per day",
                ),
            )
        )
    return panels


def _mix(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    panels = []
    for key, title in (
        ("by_topic", "Topics"),
        ("by_intent", "Intents"),
        ("by_sentiment", "Sentiment"),
        ("by_language", "Languages"),
    ):
        items = [(str(label), count) for label, count in _mapping(report, key).items()]
        colours = SENTIMENT_COLOURS if key == "by_sentiment" else None
        panels.append(
            _panel(title, bar_chart(items, colours=colours, show_share=True, title=title))
        )
    return panels


def _breakdown(title: str, figures_by_name: Mapping[str, Any]) -> dict[str, Any]:
    rows = [(str(k), v) for k, v in figures_by_name.items() if isinstance(v, Mapping)]
    rows.sort(key=lambda r: (-(as_number(r[1].get("messages")) or 0), r[0]))
    return {
        "title": title,
        "header": [label for _, label, _ in _BREAKDOWN_COLUMNS],
        "rows": [
            (name, [fmt(figures.get(key)) for key, _, fmt in _BREAKDOWN_COLUMNS])
            for name, figures in rows
        ],
    }


def _daily(labels: list[str], columns: dict) -> dict[str, Any] | None:
    if not labels:
        return None
    return {
        "header": [name.replace("_", " ") for name in _DAILY_FORMATS],
        "rows": [
            (label, [fmt(columns[name][i]) for name, fmt in _DAILY_FORMATS.items()])
            for i, label in enumerate(labels)
        ],
    }


def _title(report: Mapping[str, Any]) -> tuple[str, str]:
    period_type = str(report.get("period_type") or "report")
    key = str(
        report.get("period_label") or report.get("period_key") or report.get("period_start") or ""
    )
    start, end = report.get("period_start"), report.get("period_end")
    title = f"{period_type.capitalize()} report {key}".strip()
    if start and end and str(start) != str(end):
        subtitle = f"{day_label(start)} to {day_label(end)}"
    elif start:
        subtitle = day_label(start)
    else:
        subtitle = ""
    return title, subtitle


def render_report_html(report: Mapping[str, Any], daily_series: pl.DataFrame) -> str:
    """The whole page for one report period.

    `report` carries the report fields (`messages`, `users`, `by_model`, ...; missing figures
    are shown as a dash), `daily_series` one row per day of the period with the columns of
    `DAILY_SERIES_COLUMNS`. An empty period renders a page that says so rather than failing.
    """
    title, subtitle = _title(report)
    labels, columns = _series(daily_series)
    flags = _in_period(labels, report)
    return _template().render(
        title=title,
        subtitle=subtitle,
        cards=_cards(report),
        no_messages=not (as_number(report.get("messages")) or 0),
        over_time=_over_time(labels, columns, flags),
        faded_days=not all(flags),
        cost_and_latency=_cost_and_latency(report, labels, columns),
        mix=_mix(report),
        breakdowns=[
            _breakdown("Apps", _mapping(report, "by_app")),
            _breakdown("Models", _mapping(report, "by_model")),
        ],
        daily=_daily(labels, columns),
    )
