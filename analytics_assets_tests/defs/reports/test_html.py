"""The report page: well-formed, self-contained HTML that shows the figures and escapes labels."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import polars as pl
import pytest

from analytics_assets.defs.reports.html import render_report_html

VOID = {"meta", "br", "hr", "img", "input", "link", "line", "rect", "circle", "path"}


class _Structure(HTMLParser):
    """Checks that every element is closed in order, and collects text and tag names."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Structure:
    parser = _Structure()
    parser.feed(page)
    parser.close()
    return parser


def sample_report() -> dict:
    return {
        "period_type": "weekly",
        "period_key": "2025-03-03",
        "period_start": "2025-03-03",
        "period_end": "2025-03-09",
        "messages": 12345,
        "conversations": 2345,
        "new_conversations": 2000,
        "users": 987,
        "avg_messages_per_conversation": 5.264,
        "message_tokens": 800000,
        "answer_tokens": 400000,
        "total_tokens": 1200000,
        "total_cost": 17.3456,
        "latency_p50": 1.234,
        "latency_p95": 4.567,
        "error_messages": 37,
        "error_rate": 0.003,
        "by_topic": {"payments": 6000, "account_access": 4000, "other": 2345},
        "by_intent": {"question": 10000, "complaint": 2345},
        "by_sentiment": {"positive": 5000, "neutral": 5000, "negative": 2345},
        "by_language": {"th": 7000, "en": 5345},
        "by_model": {
            "gpt-4o-mini": {
                "messages": 10000,
                "total_cost": 12.5,
                "latency_p50": 1.1,
                "latency_p95": 4.2,
            },
            "claude-3-haiku": {
                "messages": 2345,
                "total_cost": 4.8456,
                "latency_p50": 1.9,
                "latency_p95": 6.1,
            },
        },
        "by_app": {"support": {"messages": 12345, "conversations": 2345, "users": 987}},
        "rejected_rows": 4,
    }


def sample_series(start: date = date(2025, 3, 3), days: int = 7) -> pl.DataFrame:
    dates = [start + timedelta(days=i) for i in range(days)]
    return pl.DataFrame(
        {
            "date": dates,
            "messages": [1000 + 100 * i for i in range(days)],
            "users": [80 + i for i in range(days)],
            "conversations": [300 + i for i in range(days)],
            "total_cost": [2.0 + i / 10 for i in range(days)],
            "latency_p50": [1.0] * days,
            "latency_p95": [4.0] * days,
            "error_rate": [0.01] * days,
        }
    )


def test_page_is_well_formed_and_self_contained() -> None:
    page = render_report_html(sample_report(), sample_series())
    parsed = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.errors == []
    assert parsed.stack == [], f"unclosed elements: {parsed.stack}"
    assert {"html", "head", "body", "style", "svg", "table"} <= set(parsed.tags)
    # Offline: no scripts, no external resources of any kind.
    assert "script" not in parsed.tags
    assert "link" not in parsed.tags
    urls = [v for k, v in parsed.attrs if k in {"src", "href"} and v]
    assert urls == []
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)


def test_headline_figures_and_mix_appear() -> None:
    page = render_report_html(sample_report(), sample_series())
    text = " ".join(parse(page).text)
    assert "Weekly report 2025-03-03" in text
    assert "2025-03-03 to 2025-03-09" in text
    for shown in ("12,345", "2,345", "987", "5.26", "1,200,000", "17.3456", "1.23 s", "4.57 s"):
        assert shown in text, shown
    assert "0.3%" in text  # error rate
    # Mix charts carry each label with its count and share.
    assert "payments" in text and "6,000 · 48.6%" in text
    assert "gpt-4o-mini" in text and "claude-3-haiku" in text
    # Per-model latency bars exist for both models plus the overall figure.
    assert page.count("p95: ") == 3


def test_one_column_per_day_and_context_days_faded() -> None:
    report = {**sample_report(), "period_type": "daily", "period_key": "2025-03-09"}
    report.update(period_start="2025-03-09", period_end="2025-03-09")
    page = render_report_html(report, sample_series())
    # Messages, users, conversations and cost charts: 7 days each; 6 faded per chart.
    assert page.count("2025-03-05: ") >= 4
    assert page.count("opacity: 0.3") == 4 * 6
    assert "outside the report period" in page


def test_labels_from_data_are_escaped() -> None:
    report = sample_report()
    evil = '<script>alert("x")</script>&'
    report["by_topic"] = {evil: 5}
    report["by_model"] = {evil: {"messages": 1, "total_cost": 1.0, "latency_p95": 2.0}}
    report["by_app"] = {evil: {"messages": 1}}
    report["period_key"] = evil
    page = render_report_html(report, sample_series())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    parsed = parse(page)
    assert parsed.errors == [] and parsed.stack == []
    assert "script" not in parsed.tags


@pytest.mark.parametrize(
    "series",
    [pl.DataFrame(), sample_series().clear()],
    ids=["no-columns", "no-rows"],
)
def test_empty_period_renders(series: pl.DataFrame) -> None:
    report = {
        "period_type": "daily",
        "period_key": "2025-03-10",
        "period_start": "2025-03-10",
        "period_end": "2025-03-10",
        "messages": 0,
        "latency_p50": None,
        "latency_p95": float("nan"),
        "by_topic": {},
        "by_model": {},
    }
    page = render_report_html(report, series)
    parsed = parse(page)
    assert parsed.errors == [] and parsed.stack == []
    text = " ".join(parsed.text)
    assert "No messages in this period." in text
    assert "No daily figures for this period" in text
    assert "<rect" not in page  # nothing to draw
    assert "nan" not in text.lower()


def test_missing_series_values_are_gaps_not_errors() -> None:
    series = sample_series().with_columns(
        pl.when(pl.col("messages") > 1200)
        .then(None)
        .otherwise(pl.col("messages"))
        .alias("messages")
    )
    page = render_report_html(sample_report(), series)
    assert parse(page).errors == []
    # Three days have messages, four are gaps: their tooltips do not appear.
    assert page.count("2025-03-03: 1,000") == 1
    assert "2025-03-09: 1," not in page


def test_period_label_names_the_page_when_given() -> None:
    report = {**sample_report(), "period_label": "2025-W10 <b>"}
    page = render_report_html(report, sample_series())
    assert "<title>Weekly report 2025-W10 &lt;b&gt;</title>" in page
