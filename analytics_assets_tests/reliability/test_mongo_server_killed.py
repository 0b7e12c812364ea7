"""The embedded MongoDB server SIGKILLed in the middle of a serving partition's rewrite.

A dedicated server process (not the session's) serves one database; the real serving asset
`serving_conversation_categories` rewrites one day of ~20k documents from a real Parquet
lake; a thread polls the collection's count and `kill -9`s the server once part of the new
documents are in. The run must fail with an error naming the partition. The server is then
restarted on the same data folder (WiredTiger must have survived the kill), the asset re-run,
and the documents must equal those of a clean run on another database: same set, no
duplicates, nothing of the old or half-written version left.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dagster import AssetSpec, DagsterInstance, materialize
from pymongo import MongoClient

from analytics_assets.defs.categorization.messages import CATEGORIZED_SCHEMA
from analytics_assets.defs.serving.assets import serving_conversation_categories
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.storage.mongo import MongoResource, close_clients, embedded
from analytics_assets.storage.parquet import LakeIOManager

DAY = "2025-01-02"
CONVERSATIONS = 3000  # three documents each (topic, intent, sentiment): 9k documents
KILL_AT = 3000  # documents of the new version inserted when the server is killed
STAMPED = {"_id", "_write_id", "updated_at", "created_at"}  # per write, not content


def categorized_day(seed: int) -> pl.DataFrame:
    n = CONVERSATIONS
    topics = ["account", "pricing", "technical_issue", "feedback"]
    return pl.DataFrame(
        {
            "message_id": [f"m-{seed}-{i}" for i in range(n)],
            "conversation_id": [f"c-{i:06d}" for i in range(n)],
            "app_id": ["app-a"] * n,
            "model_id": ["gpt-4o"] * n,
            "user_key": [f"u-{i % 97}" for i in range(n)],
            "created_at": [datetime(2025, 1, 2, 12, tzinfo=UTC)] * n,
            "language": ["en"] * n,
            "language_confidence": [0.9] * n,
            "topic": [topics[(i + seed) % 4] for i in range(n)],
            "topic_confidence": [0.8] * n,
            "intent": ["question"] * n,
            "intent_confidence": [0.7] * n,
            "sentiment": ["neutral"] * n,
            "sentiment_score": [0.0] * n,
            "answer_sentiment": ["neutral"] * n,
            "answer_sentiment_score": [0.0] * n,
        }
    ).select([pl.col(k).cast(v) for k, v in CATEGORIZED_SCHEMA.items()])


def write_day(lake: Path, frame: pl.DataFrame) -> None:
    target = lake / "categorized_messages" / f"date={DAY}" / "part-0.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(target)


def run(lake: Path, mongo: MongoResource):
    with DagsterInstance.ephemeral() as instance:
        return materialize(
            [
                AssetSpec("categorized_messages", partitions_def=DAILY_PARTITIONS),
                serving_conversation_categories,
            ],
            resources={"io_manager": LakeIOManager(base_path=str(lake)), "mongo": mongo},
            instance=instance,
            selection=[serving_conversation_categories.key],
            partition_key=DAY,
            raise_on_error=False,
        )


def documents(mongo: MongoResource) -> list[dict[str, Any]]:
    docs = [
        {k: v for k, v in d.items() if k not in STAMPED}
        for d in mongo.db()["conversation_categories"].find()
    ]
    return sorted(docs, key=lambda d: repr(sorted(d.items())))


def kill_when_inserted(uri: str, pid: int, database: str, done: threading.Event) -> None:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=2000)
    collection = client[database]["conversation_categories"]
    deadline = time.monotonic() + 60
    deleted = False  # the rewrite deletes the day first, then inserts the new version
    try:
        while time.monotonic() < deadline:
            count = collection.estimated_document_count()
            deleted = deleted or count < KILL_AT
            if deleted and count >= KILL_AT:
                os.kill(pid, signal.SIGKILL)
                done.set()
                return
            time.sleep(0.01)
    finally:
        client.close()


@pytest.mark.slow
def test_server_killed_mid_rewrite_fails_naming_the_partition_and_the_rerun_converges(
    tmp_path: Path,
) -> None:
    lake, server_dir = tmp_path / "lake", tmp_path / "mongo"
    mongo = MongoResource(uri="", database="killed", embedded_path=str(server_dir))
    clean = MongoResource(uri="", database="clean", embedded_path=str(server_dir))
    try:
        # The old version of the day, then the clean run of the new version elsewhere.
        write_day(lake, categorized_day(seed=1))
        assert run(lake, mongo).success
        old = documents(mongo)
        write_day(lake, categorized_day(seed=2))
        assert run(lake, clean).success
        expected = documents(clean)
        assert len(expected) == 3 * CONVERSATIONS and expected != old

        # Kill -9 the server once KILL_AT documents of the new write are in.
        state = embedded._read_state(server_dir.resolve())
        assert state is not None
        killed = threading.Event()
        killer = threading.Thread(
            target=kill_when_inserted, args=(state.uri, state.pid, "killed", killed)
        )
        killer.start()
        result = run(lake, mongo)
        killer.join()
        assert killed.is_set(), "the write finished before the kill: raise CONVERSATIONS"
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        error = failure.step_failure_data.error
        message = error.to_string()  # the user code's error is the cause of Dagster's
        assert f"partition {DAY}" in message and "conversation_categories" in message

        # Restart on the same data folder: WiredTiger survived; the day is half-written.
        embedded.ensure_server(server_dir)
        half = mongo.db()["conversation_categories"].count_documents({"partition": DAY})
        assert 0 < half < 3 * CONVERSATIONS
        assert mongo.db().command("validate", "conversation_categories")["valid"]

        # The re-run (same process: its unreleased lease is released) converges.
        rerun = run(lake, mongo)
        assert rerun.success
        assert all(c.passed for c in rerun.get_asset_check_evaluations())
        assert documents(mongo) == expected
    finally:
        close_clients()
        embedded.stop_server(server_dir)
