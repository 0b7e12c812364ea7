"""The shared SVG charts: inline-ready, escaped, tooltips per bar, gaps for missing values."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from analytics_assets.charts import (
    EMPTY,
    bar_chart,
    column_chart,
    fmt_cost,
    fmt_percent,
    grouped_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    # The xlink prefix is left undeclared for HTML; declare it again to parse as XML.
    return ET.fromstring(
        svg.replace("<svg ", '<svg xmlns:xlink="http://www.w3.org/1999/xlink" ', 1)
    )


def _titles(svg: str) -> list[str]:
    return [t.text or "" for t in _parse(svg).iter(f"{SVG}title")]


def test_column_chart_is_inline_svg_with_one_tooltip_per_present_value() -> None:
    svg = column_chart(
        ["2025-03-01", "2025-03-02", "2025-03-03"], [10, None, 1234.5], title="Messages"
    )
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", svg)
    assert 'aria-label="Messages"' in svg
    # The missing day is a gap, not a zero bar.
    assert _titles(svg) == ["2025-03-01: 10", "2025-03-03: 1,234"]


def test_labels_are_escaped() -> None:
    svg = bar_chart([('<script>alert("x")</script>', 3), ("b&b", 1)], show_share=True)
    assert "<script>" not in svg
    assert '<script>alert("x")</script>: 3 · 75.0%' in _titles(svg)  # parsed back intact
    assert "b&amp;b" in svg


def test_bars_sorted_largest_first_and_formats_applied() -> None:
    svg = bar_chart([("small", 0.5), ("large", 250.0)], value_format=fmt_cost)
    assert _titles(svg) == ["large: 250.00", "small: 0.5000"]


def test_grouped_bars_skip_missing_series_values() -> None:
    svg = grouped_bar_chart([("m1", (0.5, 2.0)), ("m2", (None, 1.0))], ("p50", "p95"))
    assert _titles(svg) == ["m1 p50: 0.50 s", "m1 p95: 2.00 s", "m2 p95: 1.00 s"]


def test_nothing_to_draw_says_so() -> None:
    assert column_chart([], []) == EMPTY
    assert column_chart(["2025-03-01"], [None]) == EMPTY
    assert bar_chart([("a", None)]) == EMPTY
    assert "No latency" in grouped_bar_chart([("m", (None, None))], ("p50", "p95"))


def test_same_data_same_svg() -> None:
    """Stable ids (hash salt): re-rendering a report does not change its file."""
    args = (["2025-03-01", "2025-03-02"], [0.01, 0.02])
    assert column_chart(*args, value_format=fmt_percent) == column_chart(
        *args, value_format=fmt_percent
    )
