"""`analytics-assets report` against the test MongoDB (embedded server, or MONGODB_URI)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics_assets.cli import main
from analytics_assets.cli.report import parse_period
from analytics_assets.defs.analytics.prepare import prepare_messages
from analytics_assets.defs.reports.build import build_report, period_for
from analytics_assets.storage.mongo import MongoResource
from analytics_assets_tests.defs.analytics.frames import KEY, Msg, categorized, raw_messages

MSGS = [
    Msg("m1", "c1", "u1", "2025-03-03 10:00", model="gpt-3.5-turbo"),
    Msg("m2", "c1", "u1", "2025-03-04 10:00", status="error", error="x"),
    Msg("m3", "c2", "u2", "2025-03-09 10:00", topic="pricing"),
]


@pytest.fixture
def configured(mongo_resource: MongoResource, mongo_server, monkeypatch) -> MongoResource:
    """Point the settings the CLI reads at the test database, with two stored reports."""
    monkeypatch.setenv("MONGODB_URI", mongo_server.uri)
    monkeypatch.setenv("MONGODB_DATABASE", mongo_server.database)
    monkeypatch.setenv("MONGO_EMBEDDED_PATH", mongo_server.embedded_path or "unused")
    prepared = prepare_messages(raw_messages(MSGS), categorized(MSGS), None, KEY)
    for period in (period_for("daily", date(2025, 3, 3)), period_for("weekly", date(2025, 3, 3))):
        mongo_resource.reports().upsert_report(build_report(prepared, period, rejected_rows=1))
    return mongo_resource


def test_parse_period_forms() -> None:
    assert parse_period("weekly", "2025-03-06").key == "2025-03-03"
    assert parse_period("weekly", "2025-W10").key == "2025-03-03"
    assert parse_period("monthly", "2025-03").key == "2025-03-01"
    assert parse_period("monthly", "2025-03-31").key == "2025-03-01"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_period("daily", "03/03/2025")


def test_prints_a_stored_report_as_json(configured, capsys) -> None:
    assert main(["report", "daily", "2025-03-03", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["_id"] == "daily_2025-03-03"
    assert report["messages"] == 1 and report["rejected_rows"] == 1
    assert report["period_start"] == "2025-03-03" and report["period_end"] == "2025-03-04"
    assert report["by_model"]["gpt-3.5-turbo"]["messages"] == 1  # a name with a dot survives
    assert "_write_id" not in report


def test_weekly_by_any_day_of_the_week_as_table(configured, capsys) -> None:
    assert main(["report", "weekly", "2025-03-09", "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("weekly report 2025-W10 (2025-03-03 to 2025-03-09)")
    assert "messages" in table and "error_rate" in table and "pricing" in table
    lines = {line.split()[0]: line.split()[-1] for line in table.splitlines() if line.strip()}
    assert lines["messages"] == "3" and lines["users"] == "2"


def test_missing_report_fails_with_a_clear_message(configured, capsys) -> None:
    assert main(["report", "monthly", "2025-03"]) == 1
    err = capsys.readouterr().err
    assert "no monthly report for 2025-03" in err and "--partition 2025-03-01" in err


def test_unreadable_date_is_a_usage_error(configured, capsys) -> None:
    assert main(["report", "weekly", "next week"]) == 2
    assert "cannot read 'next week'" in capsys.readouterr().err
