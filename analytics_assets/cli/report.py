"""`analytics-assets report daily|weekly|monthly DATE [--format json|table]`.

Prints one stored report from MongoDB `analytics_reports` (what the report assets wrote), so
the figures at the command line are exactly the figures in the UI and the HTML page. DATE names
the period in the most convenient way:

* daily: `YYYY-MM-DD`;
* weekly: any date of the ISO week (Monday to Sunday), or `YYYY-Www` (e.g. `2025-W02`);
* monthly: `YYYY-MM`, or any date of the month.

A report that was never materialized is an error (exit status 1) that says how to build it; a
DATE that does not parse is a usage error (exit status 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from analytics_assets.cli.output import plain, text_table
from analytics_assets.defs.reports.build import (
    BREAKDOWNS,
    CORE_FIELDS,
    GROUPED,
    PERIOD_TYPES,
    Period,
    period_for,
)
from analytics_assets.storage.mongo import MongoResource

# Bookkeeping fields of the stored document that are not part of the report.
HIDDEN_FIELDS = ("_write_id",)


def parse_period(period_type: str, text: str) -> Period:
    """DATE as typed → the period it names (raises ValueError with a readable message)."""
    value = text.strip()
    try:
        if period_type == "weekly" and "-W" in value.upper():
            year, week = value.upper().split("-W")
            return period_for("weekly", date.fromisocalendar(int(year), int(week), 1))
        if period_type == "monthly" and len(value) == 7:
            return period_for("monthly", date.fromisoformat(f"{value}-01"))
        return period_for(period_type, date.fromisoformat(value))
    except ValueError as exc:
        formats = {
            "daily": "YYYY-MM-DD",
            "weekly": "YYYY-MM-DD (any day of the week) or YYYY-Www",
            "monthly": "YYYY-MM or YYYY-MM-DD",
        }[period_type]
        raise ValueError(f"cannot read {text!r} as a {period_type} period: use {formats}") from exc


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_table(report: dict[str, Any]) -> str:
    """Headline figures, then each breakdown, as aligned plain-text tables."""
    title = (
        f"{report['period_type']} report {report.get('period_label', report['period_key'])} "
        f"({report['period_start']} to {report.get('period_last_day', report['period_end'])})"
    )
    out = [title, ""]
    figures = [(name, _fmt(report.get(name))) for name in CORE_FIELDS]
    figures += [
        ("currency", _fmt(report.get("currency"))),
        ("rejected_rows", _fmt(report.get("rejected_rows"))),
    ]
    out += text_table(("figure", "value"), figures, numeric=True).split("\n")
    for name in BREAKDOWNS:
        counts = report.get(name) or {}
        if counts:
            table = text_table((name, "messages"), [(k, _fmt(v)) for k, v in counts.items()], True)
            out += ["", *table.split("\n")]
    for name in GROUPED:
        groups = report.get(name) or {}
        if groups:
            cols = ("messages", "users", "total_tokens", "total_cost", "latency_p95", "error_rate")
            rows = [(k, *(_fmt(g.get(c)) for c in cols)) for k, g in groups.items()]
            out += ["", *text_table((name, *cols), rows, numeric=True).split("\n")]
    return "\n".join(out)


def handle(args: argparse.Namespace) -> int:
    try:
        period = parse_period(args.period_type, args.date)
    except ValueError as exc:
        print(f"analytics-assets report: {exc}", file=sys.stderr)
        return 2

    reports = MongoResource.from_settings(outside_dagster=True).reports()
    stored = reports.get_report(period.period_type, period.key)
    if stored is None:
        asset_name = f"{period.period_type}_report"
        print(
            f"no {period.period_type} report for {period.label} "
            f"(analytics_reports _id {period.report_id!r}). Materialize it first, e.g.\n"
            f"  dagster asset materialize -m analytics_assets.definitions "
            f"--select {asset_name} --partition {period.key}",
            file=sys.stderr,
        )
        return 1
    report = {k: plain(v) for k, v in stored.items() if k not in HIDDEN_FIELDS}
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False))
    else:
        print(render_table(report))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="print a stored daily/weekly/monthly report",
        description="Print a report from MongoDB analytics_reports (JSON or a table).",
    )
    parser.add_argument("period_type", choices=PERIOD_TYPES, help="which report")
    parser.add_argument(
        "date",
        metavar="DATE",
        help="daily: YYYY-MM-DD; weekly: a day of the week or YYYY-Www; monthly: YYYY-MM",
    )
    parser.add_argument("--format", choices=("json", "table"), default="json")
    parser.set_defaults(handler=handle)
