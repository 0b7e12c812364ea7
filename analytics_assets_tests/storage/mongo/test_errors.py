"""processing_errors lifecycle: new → open, recurring → attempts grow, gone → resolved."""

from __future__ import annotations

import polars as pl
import pytest

from analytics_assets.schemas import PROCESSING_ERRORS_SCHEMA
from analytics_assets.storage.mongo import MongoResource

ASSET = "raw_messages"
DAY = "2025-01-02"


def _errors(*record_ids: str, stage: str = "ingestion", asset: str = ASSET) -> pl.DataFrame:
    n = len(record_ids)
    return pl.DataFrame(
        {
            "asset": [asset] * n,
            "partition": [DAY] * n,
            "stage": [stage] * n,
            "record_type": ["message"] * n,
            "record_id": list(record_ids),
            "conversation_id": [f"conv-{r}" for r in record_ids],
            "message_id": list(record_ids),
            "reason": ["unparseable created_at"] * n,
            "detail": ["2025-13-45"] * n,
        },
        schema=PROCESSING_ERRORS_SCHEMA,
    )


def test_lifecycle(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.errors()
    assert repo.record_partition(ASSET, DAY, _errors("m1", "m2")) == {
        "recorded": 2,
        "new": 2,
        "resolved": 0,
    }
    first = {e["record_id"]: e for e in repo.open_errors(asset=ASSET)}
    assert set(first) == {"m1", "m2"}
    assert first["m1"]["status"] == "open" and first["m1"]["attempts"] == 1
    assert first["m1"]["conversation_id"] == "conv-m1" and first["m1"]["detail"] == "2025-13-45"

    # Retry: m1 recurs, m2 went away, m3 is new.
    assert repo.record_partition(ASSET, DAY, _errors("m1", "m3")) == {
        "recorded": 2,
        "new": 1,
        "resolved": 1,
    }
    docs = {d["record_id"]: d for d in repo.find({"asset": ASSET})}
    assert docs["m1"]["status"] == "open" and docs["m1"]["attempts"] == 2
    assert docs["m1"]["first_seen"] == first["m1"]["first_seen"]
    assert docs["m1"]["last_seen"] >= first["m1"]["last_seen"]
    assert docs["m2"]["status"] == "resolved" and docs["m2"]["resolved_at"] is not None
    assert docs["m3"]["status"] == "open" and docs["m3"]["attempts"] == 1

    # m2 comes back: reopened, resolved_at cleared, history (first_seen, attempts) kept.
    repo.record_partition(ASSET, DAY, _errors("m1", "m2", "m3"))
    m2 = repo.find({"record_id": "m2"})[0]
    assert m2["status"] == "open" and "resolved_at" not in m2 and m2["attempts"] == 2
    assert m2["first_seen"] == docs["m2"]["first_seen"]

    # A clean re-run resolves everything; nothing is deleted.
    assert repo.record_partition(ASSET, DAY, _errors())["resolved"] == 3
    assert repo.open_errors(asset=ASSET) == [] and repo.count() == 3


def test_partitions_are_independent(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.errors()
    repo.record_partition(ASSET, DAY, _errors("m1"))
    other = _errors("m9").with_columns(partition=pl.lit("2025-01-03"))
    repo.record_partition(ASSET, "2025-01-03", other)
    repo.record_partition(
        "translated_messages", DAY, _errors("m1", stage="translation", asset="translated_messages")
    )
    # A clean run of one partition resolves only that partition's errors.
    assert repo.record_partition(ASSET, "2025-01-03", _errors().clear())["resolved"] == 1
    assert repo.partitions_with_open_errors(ASSET) == [DAY]
    assert [e["record_id"] for e in repo.open_errors(stage="translation")] == ["m1"]
    assert len(repo.open_errors(partition=DAY)) == 2
    assert len(repo.open_errors(limit=1)) == 1


def test_summary_counts_open_errors_per_asset_and_stage(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.errors()
    repo.record_partition(ASSET, DAY, _errors("m1", "m2", "m3"))
    repo.record_partition(
        ASSET, "2025-01-03", _errors("m4").with_columns(partition=pl.lit("2025-01-03"))
    )
    repo.record_partition(
        ASSET, "2025-01-04", _errors("m5").with_columns(partition=pl.lit("2025-01-04"))
    )
    repo.record_partition(ASSET, "2025-01-04", _errors().clear())  # resolved: not counted
    repo.record_partition(
        "translated_messages", DAY, _errors("m1", stage="translation", asset="translated_messages")
    )
    rows = [{k: r[k] for k in ("asset", "stage", "open", "partitions")} for r in repo.summary()]
    assert rows == [
        {"asset": ASSET, "stage": "ingestion", "open": 4, "partitions": 2},
        {"asset": "translated_messages", "stage": "translation", "open": 1, "partitions": 1},
    ]


def test_rows_without_ids_get_stable_surrogates(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.errors()
    frame = _errors("x", "y").with_columns(
        record_id=pl.lit(None, pl.String), stage=pl.lit(None, pl.String)
    )
    frame = frame.with_columns(detail=pl.Series(["a", "b"]))
    assert repo.record_partition(ASSET, DAY, frame)["new"] == 2
    assert repo.record_partition(ASSET, DAY, frame) == {"recorded": 2, "new": 0, "resolved": 0}
    docs = repo.find({})
    assert all(d["record_id"].startswith("surrogate:") and d["stage"] == "unknown" for d in docs)
    assert {d["attempts"] for d in docs} == {2}


def test_rows_of_another_partition_are_refused(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.errors()
    with pytest.raises(ValueError, match="partition"):
        repo.record_partition(ASSET, "2025-01-09", _errors("m1"))
    assert repo.count() == 0
