"""A self-contained HTML page for one report period (daily, weekly or monthly).

The report assets write this page next to their Parquet and link it from the materialization
metadata, so a person can open one file and see the period at a glance. The page must work
offline and from any file server: CSS is inline, charts are inline SVG generated here, and there
is no script and no external URL. Every label comes from data (topics, model and app names), so
every piece of text goes through `html.escape` before it lands in the page.

Pure function: `render_report_html(report, daily_series) -> str`, no I/O.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

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

PALETTE = ("#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#db2777")
SENTIMENT_COLOURS = {
    "positive": "#16a34a",
    "neutral": "#64748b",
    "negative": "#dc2626",
    "mixed": "#ca8a04",
}

_CSS = """
:root { --fg:#0f172a; --muted:#64748b; --line:#e2e8f0; --card:#f8fafc; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
  "Noto Sans Thai",sans-serif; color:var(--fg); background:#fff; }
main { max-width:1120px; margin:0 auto; padding:24px 28px 48px; }
header h1 { margin:0 0 4px; font-size:24px; }
header p { margin:0; color:var(--muted); }
h2 { font-size:16px; margin:28px 0 10px; padding-bottom:6px; border-bottom:1px solid var(--line); }
h3 { font-size:13px; margin:0 0 6px; color:var(--muted); font-weight:600;
  text-transform:uppercase; letter-spacing:.04em; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(160px,1fr)); gap:10px;
  margin-top:18px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:10px 12px; }
.card .label { color:var(--muted); font-size:12px; }
.card .value { font-size:20px; font-weight:650; font-variant-numeric:tabular-nums; }
.card.warn .value { color:#dc2626; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));
  gap:18px; }
.panel { min-width:0; }
.panel { border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
svg { display:block; width:100%; height:auto; }
svg text { font:11px system-ui,sans-serif; fill:#334155; }
svg .axis { stroke:#cbd5e1; stroke-width:1; }
svg .grid { stroke:#f1f5f9; stroke-width:1; }
.empty { color:var(--muted); font-style:italic; padding:8px 0; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { text-align:right; padding:5px 8px; border-bottom:1px solid var(--line);
  white-space:nowrap; }
td:first-child { white-space:normal; max-width:320px; overflow-wrap:anywhere; }
.scroll { overflow-x:auto; }
.stack { display:grid; gap:18px; }
th:first-child, td:first-child { text-align:left; }
th { color:var(--muted); font-weight:600; font-size:12px; }
details summary { cursor:pointer; color:var(--accent); margin-top:10px; }
.legend { display:flex; gap:14px; font-size:12px; color:var(--muted); margin-bottom:4px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; }
footer { margin-top:32px; color:var(--muted); font-size:12px; }
"""


# --------------------------------------------------------------------------- formatting


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value: object) -> float | None:
    """A finite float, or None for missing/NaN/non-numeric values (charts skip those)."""
    if _is_missing(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_int(value: object) -> str:
    number = _num(value)
    return "—" if number is None else f"{round(number):,}"


def fmt_float(value: object, digits: int = 2) -> str:
    number = _num(value)
    return "—" if number is None else f"{number:,.{digits}f}"


def fmt_cost(value: object) -> str:
    """Costs of LLM calls are small per message: keep four decimals below 100, two above."""
    number = _num(value)
    if number is None:
        return "—"
    return f"{number:,.2f}" if abs(number) >= 100 else f"{number:,.4f}"


def fmt_seconds(value: object) -> str:
    number = _num(value)
    return "—" if number is None else f"{number:,.2f} s"


def fmt_percent(value: object) -> str:
    number = _num(value)
    return "—" if number is None else f"{number * 100:.1f}%"


def _fmt_axis(value: float) -> str:
    """Compact tick labels: 1.2k, 3.4M, small values with decimals."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if magnitude >= 10_000:
        return f"{value / 1_000:.0f}k"
    if magnitude >= 1_000:
        return f"{value / 1_000:.1f}k"
    if magnitude == 0 or magnitude >= 10:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _nice_step(value: float, ticks: int = 4) -> float:
    """A tick step of 1, 2, 2.5 or 5 times a power of ten so `ticks` steps cover `value`."""
    if value <= 0:
        return 0.25
    raw = value / ticks
    base = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * base * (1 + 1e-9):
            return multiple * base
    return 10 * base


def _day_label(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- SVG charts


def column_chart(
    labels: Sequence[str],
    values: Sequence[object],
    *,
    colour: str = PALETTE[0],
    value_format: Any = fmt_int,
    axis_format: Any = None,
    in_period: Sequence[bool] | None = None,
    title: str = "",
) -> str:
    """A vertical bar chart over time (one column per day), as an inline SVG string.

    `in_period` marks the columns inside the report period; the others (context days before a
    daily report, say) are drawn faded.
    """
    numbers = [_num(v) for v in values]
    present = [n for n in numbers if n is not None]
    if not labels or not present:
        return '<p class="empty">No data for this period.</p>'
    width, height = 520, 220
    left, right, top, bottom = 48, 12, 12, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    step = _nice_step(max(present))
    ticks = max(1, math.ceil(max(present) / step - 1e-9))
    top_value = step * ticks
    axis_format = axis_format or _fmt_axis
    slot = plot_w / len(labels)
    bar_w = max(min(slot * 0.72, 48), 1.5)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(ticks + 1):
        tick = step * i
        y = top + plot_h - plot_h * i / ticks
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        tick_text = _esc(axis_format(tick))
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick_text}</text>')
    every = max(1, math.ceil(len(labels) / 10))
    for i, (label, number) in enumerate(zip(labels, numbers, strict=True)):
        x = left + slot * i + (slot - bar_w) / 2
        if number is not None:
            bar_h = plot_h * max(number, 0) / top_value
            y = top + plot_h - bar_h
            faded = in_period is not None and not in_period[i]
            opacity = ' fill-opacity="0.3"' if faded else ""
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
                f'rx="2" fill="{colour}"{opacity}><title>{_esc(label)}: '
                f"{_esc(value_format(number))}</title></rect>"
            )
        if i % every == 0:
            cx = left + slot * i + slot / 2
            short = label[5:] if len(label) == 10 and len(labels) > 1 else label
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{_esc(short)}</text>"
            )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    items: Sequence[tuple[str, object]],
    *,
    value_format: Any = fmt_int,
    colours: Mapping[str, str] | None = None,
    show_share: bool = False,
    title: str = "",
) -> str:
    """A horizontal bar chart of labelled values, largest first, as an inline SVG string."""
    rows = [(label, _num(value)) for label, value in items]
    rows = [(label, n) for label, n in rows if n is not None]
    if not rows:
        return '<p class="empty">No data for this period.</p>'
    rows.sort(key=lambda r: (-r[1], r[0]))
    total = sum(max(n, 0) for _, n in rows)
    top_value = max(max(n for _, n in rows), 0) or 1.0
    row_h, label_w, value_w, width = 24, 150, 110, 520
    height = row_h * len(rows) + 6
    plot_w = width - label_w - value_w
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, number) in enumerate(rows):
        y = 3 + i * row_h
        bar_w = plot_w * max(number, 0) / top_value
        colour = (colours or {}).get(label.lower(), PALETTE[i % len(PALETTE)])
        shown = label if len(label) <= 22 else label[:21] + "…"
        text = value_format(number)
        if show_share and total > 0:
            text += f" · {number / total * 100:.1f}%"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{_esc(shown)}'
            f"<title>{_esc(label)}</title></text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{max(bar_w, 1):.1f}" height="{row_h - 8}" '
            f'rx="2" fill="{colour}"><title>{_esc(label)}: {_esc(text)}</title></rect>'
        )
        parts.append(f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 16}">{_esc(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_bar_chart(
    groups: Sequence[tuple[str, Sequence[object]]],
    series: Sequence[str],
    *,
    value_format: Any = fmt_seconds,
    title: str = "",
) -> str:
    """Horizontal bars, one group per label with one bar per series (e.g. p50 and p95)."""
    rows = [(label, [_num(v) for v in values]) for label, values in groups]
    rows = [(label, values) for label, values in rows if any(v is not None for v in values)]
    if not rows:
        return '<p class="empty">No latency recorded in this period.</p>'
    top_value = max(v for _, values in rows for v in values if v is not None) or 1.0
    bar_h, gap, label_w, value_w, width = 12, 10, 150, 80, 520
    group_h = bar_h * len(series) + gap
    height = group_h * len(rows) + 6
    plot_w = width - label_w - value_w
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, values) in enumerate(rows):
        y0 = 3 + i * group_h
        shown = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y0 + bar_h * len(series) / 2 + 4:.1f}" '
            f'text-anchor="end">{_esc(shown)}<title>{_esc(label)}</title></text>'
        )
        for j, (name, number) in enumerate(zip(series, values, strict=True)):
            if number is None:
                continue
            y = y0 + j * bar_h
            bar_w = plot_w * max(number, 0) / top_value
            text = value_format(number)
            parts.append(
                f'<rect x="{label_w}" y="{y:.1f}" width="{max(bar_w, 1):.1f}" '
                f'height="{bar_h - 2}" rx="2" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{_esc(label)} {_esc(name)}: {_esc(text)}</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + bar_w + 6:.1f}" y="{y + bar_h - 3:.1f}">{_esc(text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------- page sections


def _card(label: str, value: str, warn: bool = False) -> str:
    cls = "card warn" if warn else "card"
    return (
        f'<div class="{cls}"><div class="label">{_esc(label)}</div>'
        f'<div class="value">{_esc(value)}</div></div>'
    )


def _headline(report: Mapping[str, Any]) -> str:
    currency = report.get("currency")
    cost_label = f"Total cost ({currency})" if currency else "Total cost"
    error_rate = _num(report.get("error_rate")) or 0.0
    rejected = _num(report.get("rejected_rows")) or 0.0
    cards = [
        _card("Messages", fmt_int(report.get("messages"))),
        _card("Conversations", fmt_int(report.get("conversations"))),
        _card("New conversations", fmt_int(report.get("new_conversations"))),
        _card("Users", fmt_int(report.get("users"))),
        _card("Messages / conversation", fmt_float(report.get("avg_messages_per_conversation"))),
        _card("Total tokens", fmt_int(report.get("total_tokens"))),
        _card(cost_label, fmt_cost(report.get("total_cost"))),
        _card("Latency p50", fmt_seconds(report.get("latency_p50"))),
        _card("Latency p95", fmt_seconds(report.get("latency_p95"))),
        _card("Error messages", fmt_int(report.get("error_messages")), warn=error_rate > 0.05),
        _card("Error rate", fmt_percent(report.get("error_rate")), warn=error_rate > 0.05),
        _card("Rejected rows", fmt_int(report.get("rejected_rows")), warn=rejected > 0),
    ]
    return f'<section class="cards">{"".join(cards)}</section>'


def _series(daily_series: pl.DataFrame) -> tuple[list[str], dict[str, list[object]]]:
    """Per-day labels and columns, sorted by date; absent columns become all-missing."""
    if daily_series.is_empty() or "date" not in daily_series.columns:
        return [], {}
    frame = daily_series.sort("date")
    labels = [_day_label(v) for v in frame.get_column("date").to_list()]
    columns = {
        name: (frame.get_column(name).to_list() if name in frame.columns else [None] * frame.height)
        for name in DAILY_SERIES_COLUMNS[1:]
    }
    return labels, columns


def _panel(title: str, body: str) -> str:
    return f'<div class="panel"><h3>{_esc(title)}</h3>{body}</div>'


def _in_period(labels: Sequence[str], report: Mapping[str, Any]) -> list[bool]:
    """Which days lie inside [period_start, period_end] (all of them when the period is unknown).

    The report assets may pass a few context days around a short period; those are faded.
    """
    start, end = report.get("period_start"), report.get("period_end")
    if not start or not end:
        return [True] * len(labels)
    low, high = _day_label(start)[:10], _day_label(end)[:10]
    return [low <= label[:10] <= high for label in labels]


def _over_time(report: Mapping[str, Any], daily_series: pl.DataFrame) -> str:
    labels, columns = _series(daily_series)
    if not labels:
        return (
            "<h2>Over time</h2>"
            '<p class="empty">No daily figures for this period (nothing was ingested).</p>'
        )
    flags = _in_period(labels, report)
    charts = [
        _panel(
            "Messages per day",
            column_chart(labels, columns["messages"], in_period=flags, title="Messages per day"),
        ),
        _panel(
            "Users per day",
            column_chart(
                labels, columns["users"], colour=PALETTE[1], in_period=flags, title="Users per day"
            ),
        ),
        _panel(
            "Conversations per day",
            column_chart(
                labels,
                columns["conversations"],
                colour=PALETTE[4],
                in_period=flags,
                title="Conversations per day",
            ),
        ),
        _panel(
            "Cost per day",
            column_chart(
                labels,
                columns["total_cost"],
                colour=PALETTE[2],
                value_format=fmt_cost,
                in_period=flags,
                title="Cost per day",
            ),
        ),
    ]
    note = (
        '<p class="empty">Faded days lie outside the report period and are shown for context.</p>'
        if not all(flags)
        else ""
    )
    return f'<h2>Over time</h2>{note}<div class="grid2">{"".join(charts)}</div>'


def _mapping(report: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = report.get(key)
    return value if isinstance(value, Mapping) else {}


def _cost_and_latency(report: Mapping[str, Any], daily_series: pl.DataFrame) -> str:
    by_model = _mapping(report, "by_model")
    cost_items = [
        (str(name), figures.get("total_cost"))
        for name, figures in by_model.items()
        if isinstance(figures, Mapping)
    ]
    latency_groups: list[tuple[str, Sequence[object]]] = [
        ("all models", (report.get("latency_p50"), report.get("latency_p95")))
    ]
    latency_groups += [
        (str(name), (figures.get("latency_p50"), figures.get("latency_p95")))
        for name, figures in sorted(by_model.items())
        if isinstance(figures, Mapping)
    ]
    legend = (
        f'<div class="legend"><span><i style="background:{PALETTE[0]}"></i>p50</span>'
        f'<span><i style="background:{PALETTE[1]}"></i>p95</span></div>'
    )
    panels = [
        _panel(
            "Cost by model",
            bar_chart(cost_items, value_format=fmt_cost, show_share=True, title="Cost by model"),
        ),
        _panel(
            "Latency percentiles",
            legend + grouped_bar_chart(latency_groups, ("p50", "p95"), title="Latency percentiles"),
        ),
    ]
    labels, columns = _series(daily_series)
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
    return f'<h2>Models: cost and latency</h2><div class="grid2">{"".join(panels)}</div>'


def _mix(report: Mapping[str, Any]) -> str:
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
    return f'<h2>What people talk about</h2><div class="grid2">{"".join(panels)}</div>'


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


def _breakdown_table(title: str, figures_by_name: Mapping[str, Any]) -> str:
    rows = [
        (str(name), figures)
        for name, figures in figures_by_name.items()
        if isinstance(figures, Mapping)
    ]
    if not rows:
        return _panel(title, '<p class="empty">No data for this period.</p>')
    rows.sort(key=lambda r: (-(_num(r[1].get("messages")) or 0), r[0]))
    head = "".join(f"<th>{_esc(label)}</th>" for _, label, _ in _BREAKDOWN_COLUMNS)
    body = "".join(
        f"<tr><td>{_esc(name)}</td>"
        + "".join(f"<td>{_esc(fmt(figures.get(key)))}</td>" for key, _, fmt in _BREAKDOWN_COLUMNS)
        + "</tr>"
        for name, figures in rows
    )
    return _panel(
        title,
        '<div class="scroll"><table><thead><tr><th>Name</th>'
        f"{head}</tr></thead><tbody>{body}</tbody></table></div>",
    )


def _daily_table(daily_series: pl.DataFrame) -> str:
    labels, columns = _series(daily_series)
    if not labels:
        return ""
    formats = {
        "messages": fmt_int,
        "users": fmt_int,
        "conversations": fmt_int,
        "total_cost": fmt_cost,
        "latency_p50": fmt_seconds,
        "latency_p95": fmt_seconds,
        "error_rate": fmt_percent,
    }
    head = "".join(f"<th>{_esc(name.replace('_', ' '))}</th>" for name in formats)
    body = "".join(
        f"<tr><td>{_esc(label)}</td>"
        + "".join(f"<td>{_esc(fmt(columns[name][i]))}</td>" for name, fmt in formats.items())
        + "</tr>"
        for i, label in enumerate(labels)
    )
    return (
        "<details><summary>Daily figures as a table</summary>"
        f"<table><thead><tr><th>date</th>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</details>"
    )


def _title(report: Mapping[str, Any]) -> tuple[str, str]:
    period_type = str(report.get("period_type") or "report")
    key = str(
        report.get("period_label") or report.get("period_key") or report.get("period_start") or ""
    )
    start, end = report.get("period_start"), report.get("period_end")
    title = f"{period_type.capitalize()} report {key}".strip()
    if start and end and str(start) != str(end):
        subtitle = f"{_day_label(start)} to {_day_label(end)}"
    elif start:
        subtitle = _day_label(start)
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
    body = [
        f"<header><h1>{_esc(title)}</h1><p>{_esc(subtitle)}</p></header>",
        _headline(report),
    ]
    if not (_num(report.get("messages")) or 0):
        body.append('<p class="empty">No messages in this period.</p>')
    body.append(_over_time(report, daily_series))
    body.append(_cost_and_latency(report, daily_series))
    body.append(_mix(report))
    body.append(
        '<h2>By app and model</h2><div class="stack">'
        + _breakdown_table("Apps", _mapping(report, "by_app"))
        + _breakdown_table("Models", _mapping(report, "by_model"))
        + "</div>"
    )
    body.append(_daily_table(daily_series))
    body.append(
        "<footer>Generated by analytics-assets from row-level data of the period. "
        "Rejected rows are malformed source rows recorded in processing_errors and excluded "
        "from every figure.</footer>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
