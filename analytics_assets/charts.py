"""Charts for people: inline SVG drawn with matplotlib, shared by the report pages and the
dashboard, plus the number formats both show.

Why SVG from matplotlib: the report pages must work offline from any file server (no script,
no external URL), and a well-kept plotting library draws axes, ticks and labels better than
hand-built SVG. Text stays text (`svg.fonttype: none`), so labels are searchable and
matplotlib escapes them; each bar carries a `<title>` tooltip (`label: value`).

Every function returns an `<svg>` element without XML prologue, ready to inline, or a short
"no data" paragraph when there is nothing to draw.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import matplotlib

matplotlib.use("svg")  # no display, no GUI toolkit: works in workers and containers
from matplotlib.figure import Figure  # noqa: E402 (after the backend is chosen)
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

PALETTE = ("#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#db2777")
SENTIMENT_COLOURS = {
    "positive": "#16a34a",
    "neutral": "#64748b",
    "negative": "#dc2626",
    "mixed": "#ca8a04",
}
EMPTY = '<p class="empty">No data for this period.</p>'
_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "analytics-assets",  # stable ids: the same data gives the same page
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 8,
    "axes.edgecolor": "#cbd5e1",
    "axes.labelcolor": "#334155",
    "xtick.color": "#334155",
    "ytick.color": "#334155",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_WIDTH_IN = 5.2
Format = Callable[[Any], str]


# --------------------------------------------------------------------------- number formats


def as_number(value: object) -> float | None:
    """A finite float, or None for missing/NaN/non-numeric values (charts draw gaps)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_int(value: object) -> str:
    number = as_number(value)
    return "—" if number is None else f"{round(number):,}"


def fmt_float(value: object, digits: int = 2) -> str:
    number = as_number(value)
    return "—" if number is None else f"{number:,.{digits}f}"


def fmt_cost(value: object) -> str:
    """Costs of LLM calls are small per message: keep four decimals below 100, two above."""
    number = as_number(value)
    if number is None:
        return "—"
    return f"{number:,.2f}" if abs(number) >= 100 else f"{number:,.4f}"


def fmt_seconds(value: object) -> str:
    number = as_number(value)
    return "—" if number is None else f"{number:,.2f} s"


def fmt_percent(value: object) -> str:
    number = as_number(value)
    return "—" if number is None else f"{number * 100:.1f}%"


def fmt_axis(value: float) -> str:
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


def day_label(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _short(label: str, width: int = 22) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# --------------------------------------------------------------------------- rendering


def _render(fig: Figure, tooltips: Mapping[str, str], title: str) -> str:
    """The figure as an inline `<svg>`: no prologue, sized by CSS, tooltips on marked bars."""
    with matplotlib.rc_context({"svg.hashsalt": _STYLE["svg.hashsalt"]}):
        buffer = io.StringIO()
        fig.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Inline SVG in HTML needs no xlink namespace declaration (the HTML parser knows it), and
    # leaving it out keeps the page free of URLs.
    svg = svg.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "", 1)
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{html.escape(title)}"', 1)
    for gid, text in tooltips.items():
        svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(text)}</title>', 1)
    return svg


def _figure(height_in: float) -> tuple[Figure, Any]:
    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(_WIDTH_IN, height_in), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def _label_rows(ax: Any, labels: Sequence[str], right: float) -> None:
    """Horizontal bars: names on the left, first row on top, values written beside the bars
    (room up to `right`), so no x axis is drawn."""
    ax.set_yticks(range(len(labels)), [_short(label) for label in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, right)
    ax.xaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)


def column_chart(
    labels: Sequence[str],
    values: Sequence[object],
    *,
    colour: str = PALETTE[0],
    value_format: Format = fmt_int,
    axis_format: Callable[[float], str] | None = None,
    in_period: Sequence[bool] | None = None,
    title: str = "",
) -> str:
    """Vertical bars over time (one per day). `in_period` marks the days inside the report
    period; the others (context days around a short period) are drawn faded."""
    numbers = [as_number(v) for v in values]
    if not labels or all(n is None for n in numbers):
        return EMPTY
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(2.2)
        tooltips = {}
        for i, (label, number) in enumerate(zip(labels, numbers, strict=True)):
            if number is None:
                continue  # a gap, not a zero
            faded = in_period is not None and not in_period[i]
            bar = ax.bar(i, max(number, 0.0), width=0.72, color=colour, alpha=0.3 if faded else 1)
            gid = f"col{i}"
            bar.patches[0].set_gid(gid)
            tooltips[gid] = f"{label}: {value_format(number)}"
        every = max(1, math.ceil(len(labels) / 10))
        ticks = list(range(0, len(labels), every))
        short = [
            labels[i][5:] if len(labels[i]) == 10 and len(labels) > 1 else labels[i] for i in ticks
        ]
        ax.set_xticks(ticks, short)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: (axis_format or fmt_axis)(v)))
        ax.grid(axis="y", color="#f1f5f9")
        ax.set_axisbelow(True)
        return _render(fig, tooltips, title)


def _annotate(
    ax: Any,
    bar: Any,
    gid: str,
    y: float,
    number: float,
    top: float,
    text: str,
    tooltip: str,
    tooltips: dict[str, str],
    size: int = 8,
) -> None:
    """Name a horizontal bar for its tooltip and print its value just past its end."""
    bar.patches[0].set_gid(gid)
    tooltips[gid] = tooltip
    ax.text(max(number, 0.0) + top * 0.01, y, text, va="center", fontsize=size)


def bar_chart(
    items: Sequence[tuple[str, object]],
    *,
    value_format: Format = fmt_int,
    colours: Mapping[str, str] | None = None,
    show_share: bool = False,
    title: str = "",
) -> str:
    """Horizontal bars of labelled values, largest first, each with its value (and share)."""
    rows = [(label, as_number(value)) for label, value in items]
    rows = sorted(((lb, n) for lb, n in rows if n is not None), key=lambda r: (-r[1], r[0]))
    if not rows:
        return EMPTY
    total = sum(max(n, 0) for _, n in rows)
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(0.3 * len(rows) + 0.3)
        tooltips = {}
        top = max(max(n for _, n in rows), 0) or 1.0
        for i, (label, number) in enumerate(rows):
            colour = (colours or {}).get(label.lower(), PALETTE[i % len(PALETTE)])
            text = value_format(number)
            if show_share and total > 0:
                text += f" · {number / total * 100:.1f}%"
            bar = ax.barh(i, max(number, 0.0), height=0.66, color=colour)
            _annotate(ax, bar, f"bar{i}", i, number, top, text, f"{label}: {text}", tooltips)
        _label_rows(ax, [lb for lb, _ in rows], top * 1.35)
        return _render(fig, tooltips, title)


def grouped_bar_chart(
    groups: Sequence[tuple[str, Sequence[object]]],
    series: Sequence[str],
    *,
    value_format: Format = fmt_seconds,
    title: str = "",
) -> str:
    """Horizontal bars, one group per label with one bar per series (e.g. p50 and p95)."""
    rows = [(label, [as_number(v) for v in values]) for label, values in groups]
    rows = [(label, values) for label, values in rows if any(v is not None for v in values)]
    if not rows:
        return '<p class="empty">No latency recorded in this period.</p>'
    top = max(v for _, values in rows for v in values if v is not None) or 1.0
    height = 0.8 / len(series)
    with matplotlib.rc_context(_STYLE):
        fig, ax = _figure(0.22 * len(rows) * len(series) + 0.3)
        tooltips = {}
        for i, (label, values) in enumerate(rows):
            for j, (name, number) in enumerate(zip(series, values, strict=True)):
                if number is None:
                    continue
                y = i + (j - (len(series) - 1) / 2) * height
                bar = ax.barh(y, max(number, 0.0), height=height * 0.9, color=PALETTE[j % 8])
                text = value_format(number)
                tip = f"{label} {name}: {text}"
                _annotate(ax, bar, f"grp{i}_{j}", y, number, top, text, tip, tooltips, size=7)
        _label_rows(ax, [lb for lb, _ in rows], top * 1.3)
        return _render(fig, tooltips, title)
