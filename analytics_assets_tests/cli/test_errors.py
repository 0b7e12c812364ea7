"""`analytics-assets errors` against the test MongoDB (embedded server, or MONGODB_URI)."""

from __future__ import annotations

import json
import socket

import polars as pl
import pytest

from analytics_assets.cli import main
from analytics_assets.cli.errors import redact
from analytics_assets.schemas import PROCESSING_ERRORS_SCHEMA, conform
from analytics_assets.storage.mongo import MongoResource


@pytest.fixture
def configured(mongo_resource: MongoResource, mongo_server, monkeypatch) -> MongoResource:
    """Point the settings the CLI reads at the test database."""
    monkeypatch.setenv("MONGODB_URI", mongo_server.uri)
    monkeypatch.setenv("MONGODB_DATABASE", mongo_server.database)
    monkeypatch.setenv("MONGO_EMBEDDED_PATH", mongo_server.embedded_path or "unused")
    return mongo_resource


def record(mongo: MongoResource, asset: str, partition: str, stage: str, ids: list[str]) -> None:
    frame = pl.DataFrame(
        {
            "stage": [stage] * len(ids),
            "record_type": ["message"] * len(ids),
            "record_id": ids,
            "conversation_id": [f"conv-{i}" for i in ids],
            "message_id": ids,
            "reason": ["bad_timestamp"] * len(ids),
            "detail": ["created_at=yesterday | maybe"] * len(ids),
        }
    )
    mongo.errors().record_partition(asset, partition, conform(frame, PROCESSING_ERRORS_SCHEMA))


def test_empty_collection_says_no_open_errors(configured, capsys) -> None:
    assert main(["errors"]) == 0
    assert capsys.readouterr().out.strip() == "no open errors"
    assert main(["errors", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == [] and "no open errors" in out.err


def test_lists_open_errors_with_filters(configured: MongoResource, capsys) -> None:
    record(configured, "raw_messages", "2025-02-10", "ingestion", ["m1", "m2"])
    record(configured, "translated_messages", "2025-02-10", "translation", ["m3"])
    # m1 is fixed on the next materialization: resolved, not open.
    record(configured, "raw_messages", "2025-02-10", "ingestion", ["m2"])

    assert main(["errors"]) == 0
    table = capsys.readouterr().out
    assert "conv-m2" in table and "conv-m3" in table and "conv-m1" not in table
    assert "raw_messages" in table and "translated_messages" in table
    assert "2 open errors" in table

    assert main(["errors", "--asset", "raw_messages", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["record_id"], r["status"], r["attempts"]) for r in rows] == [("m2", "open", 2)]
    assert rows[0]["conversation_id"] == "conv-m2" and rows[0]["first_seen"].startswith("20")

    assert main(["errors", "--stage", "translation", "--format", "json"]) == 0
    assert [r["record_id"] for r in json.loads(capsys.readouterr().out)] == ["m3"]

    assert main(["errors", "--status", "resolved", "--format", "json"]) == 0
    resolved = json.loads(capsys.readouterr().out)
    assert [(r["record_id"], r["status"]) for r in resolved] == [("m1", "resolved")]
    assert resolved[0]["resolved_at"]

    assert main(["errors", "--status", "all", "--limit", "2", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2

    assert main(["errors", "--summary"]) == 0
    summary = capsys.readouterr().out
    assert "raw_messages" in summary and "translation" in summary and "partitions" in summary


def test_unreachable_server_exits_non_zero_without_leaking_the_password(monkeypatch, capsys):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MONGODB_URI", f"mongodb://reader:s3cret@127.0.0.1:{port}/")
    code = main(["errors", "--timeout", "0.5"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot reach MongoDB at mongodb://reader:***@127.0.0.1" in err
    assert "s3cret" not in err


def test_redact() -> None:
    assert redact("mongodb://u:p@h:1/db") == "mongodb://u:***@h:1/db"
    assert redact("mongodb+srv://u:p%40x@cluster/db") == "mongodb+srv://u:***@cluster/db"
    assert redact("mongodb://h:27017/db") == "mongodb://h:27017/db"


def test_retry_plan_names_assets_and_commands(configured: MongoResource, capsys) -> None:
    record(configured, "raw_messages", "2025-02-10", "ingestion", ["m1", "m2"])
    record(configured, "translated_messages", "2025-02-10", "translation", ["m3"])
    record(configured, "conversation_analytics", "2025-02-11", "analytics", ["c9"])

    assert main(["errors", "--retry-plan", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    runnable = [r for r in rows if r["command"]]
    assert [(r["partition"], r["open"]) for r in runnable] == [("2025-02-10", 3)]
    assets = runnable[0]["assets"].split(",")
    assert "raw_messages" in assets and assets[-1] == "processing_errors"
    assert runnable[0]["command"] == (
        "dagster asset materialize -m analytics_assets.definitions "
        f"--select {runnable[0]['assets']} --partition 2025-02-10"
    )
    [other] = [r for r in rows if not r["command"]]
    assert (other["assets"], other["partition"], other["open"]) == (
        "conversation_analytics",
        "2025-02-11",
        1,
    )

    assert main(["errors", "--retry-plan", "--partition", "2025-02-10"]) == 0
    out = capsys.readouterr().out
    assert "dagster asset materialize" in out and "--partition 2025-02-10" in out
    assert "conversation_analytics" not in out

    assert main(["errors", "--retry-plan", "--asset", "nothing_here"]) == 0
    assert capsys.readouterr().out.strip() == "no open errors"
