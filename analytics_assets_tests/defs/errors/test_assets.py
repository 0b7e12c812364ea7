"""Error tracking end to end: recorded errors → `processing_errors` → retry sensor → retry job.

The MongoDB is the embedded wire-protocol server (fixture `mongo_resource`); the raw asset is
the real `raw_messages` over a file-backed source whose rows a test can fix between runs, the
way a person fixes a row in NocoDB.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    RunRequest,
    SensorResult,
    SkipReason,
    build_sensor_context,
    materialize,
)

from analytics_assets.defs.errors.assets import (
    ERROR_SOURCE_ASSETS,
    open_error_groups,
    processing_errors,
    retry_failed_rows_sensor,
)
from analytics_assets.defs.errors.jobs import RETRY_JOB_NAME, retry_failed_rows
from analytics_assets.defs.errors.records import (
    PROCESSING_ERRORS_SNAPSHOT_SCHEMA,
    errors_frame,
    open_summary_markdown,
    partition_summary_markdown,
    plan_retries,
)
from analytics_assets.defs.ingestion.assets import raw_conversations, raw_messages
from analytics_assets.schemas import (
    CONVERSATIONS_WIRE_SCHEMA,
    MESSAGES_WIRE_SCHEMA,
    PROCESSING_ERRORS_SCHEMA,
    conform,
)
from analytics_assets.sources.base import SourceResource
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import LakeIOManager

DAY = "2025-02-10"


# --- pure logic ------------------------------------------------------------------------------


def group(asset: str, partition: str, attempts: int, open_: int = 1) -> dict:
    return {"asset": asset, "partition": partition, "max_attempts": attempts, "open": open_}


def plan(groups: list[dict], **kwargs):
    defaults = dict(
        retryable_assets={"raw_messages", "raw_conversations", "translated_messages"},
        is_partition=lambda key: key.startswith("2025-"),
        max_attempts=3,
        max_runs=10,
        always_include=("processing_errors",),
    )
    return plan_retries(groups, **{**defaults, **kwargs})


def test_plan_groups_assets_per_partition_oldest_first() -> None:
    result = plan(
        [
            group("translated_messages", "2025-02-11", 1, 4),
            group("raw_messages", "2025-02-10", 2, 1),
            group("raw_messages", "2025-02-11", 1, 2),
        ]
    )
    assert [(r.partition, r.assets, r.open_errors) for r in result.runs] == [
        ("2025-02-10", ("raw_messages", "processing_errors"), 1),
        ("2025-02-11", ("raw_messages", "translated_messages", "processing_errors"), 6),
    ]
    assert len({r.run_key for r in result.runs}) == 2


def test_plan_bounds_attempts_and_filters() -> None:
    result = plan(
        [
            group("raw_messages", "2025-02-10", 3),  # already tried 3 times
            group("conversation_analytics", "2025-02-10", 1),  # not in the retry job
            group("raw_messages", "unknown", 1),  # not a partition key
        ]
    )
    assert result.runs == []
    assert result.exhausted == [("raw_messages", "2025-02-10")]
    assert result.not_retryable == [("conversation_analytics", "2025-02-10")]
    assert result.invalid_partitions == [("raw_messages", "unknown")]


def test_run_key_is_stable_per_state_and_changes_after_an_attempt() -> None:
    first = plan([group("raw_messages", DAY, 1)]).runs[0].run_key
    again = plan([group("raw_messages", DAY, 1, open_=5)]).runs[0].run_key
    after_retry = plan([group("raw_messages", DAY, 2)]).runs[0].run_key
    assert first == again  # same state: the sensor asks for nothing new
    assert first != after_retry  # a retry happened and rows still fail: one more try


def test_plan_caps_runs_per_tick() -> None:
    groups = [group("raw_messages", f"2025-02-{d:02d}", 1) for d in range(1, 8)]
    result = plan(groups, max_runs=3)
    assert [r.partition for r in result.runs] == ["2025-02-01", "2025-02-02", "2025-02-03"]
    assert result.deferred == 4


def test_errors_frame_and_summaries() -> None:
    seen = datetime(2025, 2, 11, 3, 4, tzinfo=UTC)
    docs = [
        {"_id": "x", "asset": "raw_messages", "partition": DAY, "stage": "ingestion",
         "record_id": "m2", "reason": "negative_value", "status": "open", "attempts": 2,
         "first_seen": seen, "last_seen": seen, "_write_id": "w"},
        {"asset": "raw_messages", "partition": DAY, "stage": "ingestion", "record_id": "m1",
         "reason": "bad|pipe", "status": "resolved", "attempts": 1, "first_seen": seen,
         "last_seen": seen, "resolved_at": seen},
    ]  # fmt: skip
    frame = errors_frame(docs)
    assert frame.schema == PROCESSING_ERRORS_SNAPSHOT_SCHEMA
    assert frame["record_id"].to_list() == ["m1", "m2"]
    assert errors_frame([]).schema == PROCESSING_ERRORS_SNAPSHOT_SCHEMA
    table = partition_summary_markdown(frame)
    assert "| raw_messages | ingestion | 1 | 1 |" in table
    overall = open_summary_markdown(
        [{"asset": "raw_messages", "stage": "ingestion", "open": 7, "partitions": 2,
          "oldest_first_seen": seen, "latest_last_seen": seen}]
    )  # fmt: skip
    assert "| raw_messages | ingestion | 7 | 2 | 2025-02-11 03:04 UTC |" in overall
    assert "No open" in open_summary_markdown([])


# --- with MongoDB ------------------------------------------------------------------------------


class FileSource(SourceResource):
    """A real source over wire-schema Parquet files (stands where NocoDB stands)."""

    conversations_path: str
    messages_path: str

    def _window(self, path: str, schema: pl.Schema, start: datetime, end: datetime):
        frame = conform(pl.read_parquet(path), schema)
        ts = pl.col("created_at").str.to_datetime(time_zone="UTC", strict=False)
        inside = ts.is_null() | ((ts >= start) & (ts < end))
        return frame.filter(inside)

    def fetch_conversations(self, start: datetime, end: datetime) -> pl.DataFrame:
        return self._window(self.conversations_path, CONVERSATIONS_WIRE_SCHEMA, start, end)

    def fetch_messages(self, start: datetime, end: datetime) -> pl.DataFrame:
        return self._window(self.messages_path, MESSAGES_WIRE_SCHEMA, start, end)


def write_messages(path: Path, tokens_of_m2: int) -> None:
    rows = {
        "id": ["m1", "m2", "m3"],
        "conversation_id": ["c1", "c1", "c2"],
        "query": ["hello", "my card", "help"],
        "answer": ["hi", "ok", "sure"],
        "message_tokens": [10, tokens_of_m2, 7],
        "answer_tokens": [5, 6, 7],
        "total_price": [0.01, 0.02, 0.03],
        "created_at": [f"{DAY} 08:00:00+00:00", f"{DAY} 09:00:00+00:00", f"{DAY} 10:00:00+00:00"],
        "updated_at": [f"{DAY} 08:00:01+00:00", f"{DAY} 09:00:01+00:00", "yesterday-ish"],
    }
    conform(pl.DataFrame(rows), MESSAGES_WIRE_SCHEMA).write_parquet(path)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def source(tmp_path: Path) -> FileSource:
    conversations = tmp_path / "conversations.parquet"
    conform(
        pl.DataFrame({"id": ["c1", "c2"], "created_at": [f"{DAY} 07:00:00+00:00"] * 2}),
        CONVERSATIONS_WIRE_SCHEMA,
    ).write_parquet(conversations)
    messages = tmp_path / "messages.parquet"
    write_messages(messages, tokens_of_m2=-3)  # m2: negative tokens, m3: bad updated_at
    return FileSource(conversations_path=str(conversations), messages_path=str(messages))


@pytest.fixture
def defs(mongo_resource: MongoResource, source: FileSource, lake: Path) -> Definitions:
    return Definitions(
        assets=[raw_conversations, raw_messages, processing_errors],
        jobs=[retry_failed_rows],
        sensors=[retry_failed_rows_sensor],
        resources={
            "mongo": mongo_resource,
            "source": source,
            "io_manager": LakeIOManager(base_path=str(lake)),
        },
    )


def error_snapshot(lake: Path) -> pl.DataFrame:
    return pl.read_parquet(lake / "processing_errors" / f"date={DAY}" / "part-0.parquet")


def tick(defs: Definitions, mongo: MongoResource, instance: DagsterInstance):
    context = build_sensor_context(instance=instance, definitions=defs, resources={"mongo": mongo})
    return retry_failed_rows_sensor(context)


def test_processing_errors_depends_on_the_error_sources() -> None:
    deps = {key.to_user_string() for key in processing_errors.dependency_keys}
    assert {"raw_messages", "raw_conversations"} <= deps
    assert deps == set(ERROR_SOURCE_ASSETS)


def test_processing_errors_asset_stores_open_and_resolved(
    mongo_resource: MongoResource, lake: Path
) -> None:
    repo = mongo_resource.errors()
    errors = conform(
        pl.DataFrame(
            {
                "stage": ["translation", "translation", "categorization"],
                "record_type": ["message"] * 3,
                "record_id": ["m1", "m2", "m3"],
                "conversation_id": ["c1", "c1", "c2"],
                "message_id": ["m1", "m2", "m3"],
                "reason": ["http_503", "http_503", "empty_text"],
            }
        ),
        PROCESSING_ERRORS_SCHEMA,
    )
    repo.record_partition("translated_messages", DAY, errors)
    repo.record_partition("translated_messages", DAY, errors.filter(pl.col("record_id") != "m1"))
    repo.record_partition("raw_messages", "2025-02-11", errors.head(1).with_columns())
    result = materialize(
        [processing_errors],
        partition_key=DAY,
        resources={
            "mongo": mongo_resource,
            "io_manager": LakeIOManager(base_path=str(lake)),
        },
    )
    assert result.success
    stored = error_snapshot(lake)
    assert stored.schema == PROCESSING_ERRORS_SNAPSHOT_SCHEMA
    # Sorted by asset, stage, record id: categorization's m3, then translation's m1 and m2.
    assert stored.select("stage", "record_id", "status", "attempts").rows() == [
        ("categorization", "m3", "open", 2),
        ("translation", "m1", "resolved", 1),
        ("translation", "m2", "open", 2),
    ]
    assert stored.filter(pl.col("status") == "resolved")["resolved_at"].is_not_null().all()
    assert set(stored["partition"]) == {DAY}  # the other day's error is not in this partition
    meta = result.asset_materializations_for_node("processing_errors")[0].metadata
    assert meta["open_errors"].value == 2 and meta["resolved_errors"].value == 1
    assert meta["open_errors_all_partitions"].value == 3
    assert "| translated_messages | translation | 1 | 1 |" in meta["by_asset_and_stage"].value
    assert "| translated_messages | categorization | 1 | 0 |" in meta["by_asset_and_stage"].value
    assert "http_503" in meta["top_open_reasons"].value
    overall = meta["open_by_asset_and_stage_all_partitions"].value
    assert "| raw_messages | translation | 1 | 1 |" in overall
    checks = result.get_asset_check_evaluations()
    assert [c.passed for c in checks] == [True]


def test_retry_loop_resolves_fixed_rows_and_gives_up_on_stubborn_ones(
    defs: Definitions,
    mongo_resource: MongoResource,
    source: FileSource,
    lake: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETRY_SKIP_STAGES", "none")  # ingestion errors are skipped by default
    instance = DagsterInstance.ephemeral()
    first = materialize(
        [raw_messages, processing_errors],
        partition_key=DAY,
        resources={
            "mongo": mongo_resource,
            "source": source,
            "io_manager": LakeIOManager(base_path=str(lake)),
        },
        instance=instance,
    )
    assert first.success
    open_ids = {e["record_id"]: e["reason"] for e in mongo_resource.errors().open_errors()}
    assert open_ids == {"m2": "negative_value", "m3": "bad_timestamp"}
    assert open_error_groups(mongo_resource) == [
        {"asset": "raw_messages", "partition": DAY, "open": 2, "max_attempts": 1}
    ]

    # The sensor asks for one run: raw_messages (and the summary) for that day only.
    result = tick(defs, mongo_resource, instance)
    assert isinstance(result, SensorResult)
    [request] = result.run_requests
    assert isinstance(request, RunRequest)
    assert request.job_name == RETRY_JOB_NAME and request.partition_key == DAY
    assert {k.to_user_string() for k in request.asset_selection} == {
        "raw_messages",
        "processing_errors",
    }
    # Same state, same run key: a second evaluation launches nothing new.
    assert tick(defs, mongo_resource, instance).run_requests[0].run_key == request.run_key

    # Someone fixes m2 at the source; the retry job re-runs exactly what the sensor asked for.
    write_messages(Path(source.messages_path), tokens_of_m2=12)
    job = defs.resolve_job_def(RETRY_JOB_NAME)
    run = job.execute_in_process(
        partition_key=DAY, asset_selection=request.asset_selection, instance=instance
    )
    assert run.success
    assert {e["record_id"] for e in mongo_resource.errors().open_errors()} == {"m3"}
    stored = error_snapshot(lake)
    assert dict(stored.select("record_id", "status").rows()) == {"m2": "resolved", "m3": "open"}
    raw = pl.read_parquet(lake / "raw_messages" / f"date={DAY}" / "part-0.parquet")
    assert sorted(raw["id"]) == ["m1", "m2"]  # the fixed row is in the partition now

    # m3 still fails: one more try (attempt 3), with a new run key; then the sensor gives up.
    second = tick(defs, mongo_resource, instance).run_requests[0]
    assert second.run_key != request.run_key
    assert job.execute_in_process(
        partition_key=DAY, asset_selection=second.asset_selection, instance=instance
    ).success
    [m3] = mongo_resource.errors().open_errors()
    assert m3["attempts"] == 3
    assert isinstance(tick(defs, mongo_resource, instance), SkipReason)


def test_sensor_skips_when_nothing_is_open(
    defs: Definitions, mongo_resource: MongoResource
) -> None:
    result = tick(defs, mongo_resource, DagsterInstance.ephemeral())
    assert isinstance(result, SkipReason)


def test_processing_errors_follows_re_materialized_days() -> None:
    from analytics_assets.automation import FOLLOW_UPSTREAM

    assert processing_errors.automation_conditions_by_key[processing_errors.key] == FOLLOW_UPSTREAM


def test_sensor_leaves_ingestion_errors_to_people_by_default(
    defs: Definitions, mongo_resource: MongoResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RETRY_SKIP_STAGES", raising=False)
    repo = mongo_resource.errors()
    frame = conform(
        pl.DataFrame({"stage": ["ingestion"], "record_id": ["m9"], "reason": ["bad_timestamp"]}),
        PROCESSING_ERRORS_SCHEMA,
    )
    repo.record_partition("raw_messages", DAY, frame)
    repo.record_partition(
        "translated_messages", DAY, frame.with_columns(stage=pl.lit("translation"))
    )
    assert open_error_groups(mongo_resource, ("ingestion",)) == [
        {"asset": "translated_messages", "partition": DAY, "open": 1, "max_attempts": 1}
    ]
    assert len(open_error_groups(mongo_resource)) == 2
    result = tick(defs, mongo_resource, DagsterInstance.ephemeral())
    # translated_messages is not part of these test definitions, raw_messages' stage is skipped.
    assert isinstance(result, SkipReason) and "ingestion" in result.skip_message
    monkeypatch.setenv("RETRY_SKIP_STAGES", "none")
    result = tick(defs, mongo_resource, DagsterInstance.ephemeral())
    assert [r.partition_key for r in result.run_requests] == [DAY]
