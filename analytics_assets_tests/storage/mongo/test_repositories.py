"""Bulk upserts and partition replacement on the real server."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from pymongo.errors import BulkWriteError

from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.base import WRITE_ID


def _conversations(n: int, day: str = "2025-01-02", offset: int = 0) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "conversation_id": [f"c{i}" for i in range(offset, offset + n)],
            "date": [date.fromisoformat(day)] * n,
            "app_id": ["app-a" if i % 2 else "app-b" for i in range(n)],
            "user_key": [f"u{i % 7}" for i in range(n)],
            "message_count": list(range(1, n + 1)),
            "total_tokens": [100 * (i + 1) for i in range(n)],
            "total_price": [0.01 * (i + 1) for i in range(n)],
            "first_message_at": [datetime(2025, 1, 2, 8, i % 60) for i in range(n)],  # naive: UTC
        }
    )


def test_upsert_many_is_idempotent(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.conversations()
    frame = _conversations(50).with_columns(partition=pl.lit("2025-01-02"))
    first = repo.upsert_many(frame)
    second = repo.upsert_many(frame)
    assert (first.documents, first.inserted) == (50, 50)
    assert (second.inserted, second.matched) == (0, 50)
    assert repo.count() == 50


def test_upsert_keeps_fields_added_by_other_writers(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.conversations()
    frame = _conversations(2).with_columns(partition=pl.lit("2025-01-02"))
    repo.upsert_many(frame)
    repo.collection.update_one({"conversation_id": "c0"}, {"$set": {"translated_share": 0.5}})
    repo.upsert_many(frame.with_columns(message_count=pl.lit(9)))
    doc = repo.collection.find_one({"conversation_id": "c0"})
    assert doc["translated_share"] == 0.5 and doc["message_count"] == 9


def test_frames_become_bson_dates(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.conversations()
    repo.replace_partition("2025-01-02", _conversations(1))
    doc = repo.collection.find_one({})
    assert doc["date"] == datetime(2025, 1, 2, tzinfo=UTC)
    assert doc["first_message_at"] == datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
    assert doc["partition"] == "2025-01-02"
    assert repo.count({"date": {"$type": "date"}, "first_message_at": {"$type": "date"}}) == 1


def test_replace_partition_leaves_no_stale_documents(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.conversations()
    other_day = _conversations(5, day="2025-01-03", offset=100)
    repo.replace_partition("2025-01-03", other_day)
    repo.replace_partition("2025-01-02", _conversations(30))
    counts = repo.replace_partition("2025-01-02", _conversations(10, offset=25))
    # c25..c29 kept (replaced), c30..c34 new, c0..c24 gone.
    assert counts.deleted == 25 and counts.inserted == 5 and counts.matched == 5
    ids = sorted(d["conversation_id"] for d in repo.find({"partition": "2025-01-02"}))
    assert ids == sorted(f"c{i}" for i in range(25, 35))
    assert repo.count({"partition": "2025-01-03"}) == 5  # other partitions untouched
    # The replaced documents are exactly the new version: no fields of the old one survive.
    repo.collection.update_one({"conversation_id": "c30"}, {"$set": {"stale": True}})
    repo.replace_partition("2025-01-02", _conversations(10, offset=25))
    assert repo.count({"stale": True}) == 0
    # Empty input empties the partition.
    assert repo.replace_partition("2025-01-02", _conversations(0)).deleted == 10
    assert repo.count({"partition": "2025-01-02"}) == 0


def test_replace_partition_converges_after_a_crash(mongo_resource: MongoResource) -> None:
    """A write that died half way (some new docs written, stale ones not yet deleted)."""
    repo = mongo_resource.categories()
    old = [
        {
            "category_id": f"c{i}_topic_x",
            "conversation_id": f"c{i}",
            "category_type": "topic",
            "category_value": "x",
        }
        for i in range(10)
    ]
    new = [{**d, "confidence_score": 0.9} for d in old[5:]] + [
        {
            "category_id": "c99_topic_y",
            "conversation_id": "c99",
            "category_type": "topic",
            "category_value": "y",
        }
    ]
    repo.replace_partition("2025-01-02", old)
    # Simulate the crash: half of the new documents upserted under a write id whose
    # delete step never ran.
    for doc in new[:3]:
        repo.collection.replace_one(
            {"category_id": doc["category_id"]},
            {
                **doc,
                "partition": "2025-01-02",
                WRITE_ID: "crashed",
                "updated_at": datetime.now(UTC),
            },
        )
    assert repo.count() == 10  # every key present once: never missing, never duplicated
    repo.replace_partition("2025-01-02", new)
    docs = repo.partition_documents("2025-01-02")
    assert [d["category_id"] for d in docs] == sorted(d["category_id"] for d in new)
    assert all(WRITE_ID not in d for d in docs)


def test_refuses_duplicate_keys_and_foreign_partitions(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.conversations()
    dup = pl.concat([_conversations(2), _conversations(1)])
    with pytest.raises(ValueError, match="duplicate"):
        repo.replace_partition("2025-01-02", dup)
    with pytest.raises(ValueError, match="duplicate"):
        repo.upsert_many(dup.with_columns(partition=pl.lit("2025-01-02")))
    foreign = _conversations(1).with_columns(partition=pl.lit("2025-01-05"))
    with pytest.raises(ValueError, match="not the partition"):
        mongo_resource.conversations().replace_partition("2025-01-02", foreign)
    assert repo.count() == 0


def test_messages_in_conversation_order(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.messages()
    docs = [
        {
            "message_id": f"m{i}",
            "conversation_id": "c1",
            "created_at": datetime(2025, 1, 2, 10, 0, 5 - i, tzinfo=UTC),
        }
        for i in range(4)
    ]
    assert repo.replace_partition("2025-01-02", docs).inserted == 4
    assert [m["message_id"] for m in repo.conversation_messages("c1")] == ["m3", "m2", "m1", "m0"]


def test_translation_cache_round_trip(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.translations()
    docs = [
        {
            "_id": f"k{i}",
            "original": f"ข้อความ {i}",
            "translated": f"text {i}",
            "source_language": "th",
            "target_language": "en",
            "backend": "libretranslate",
        }
        for i in range(3)
    ]
    assert repo.put_many(docs).inserted == 3
    first = repo.get_many(["k0", "k1", "k2", "missing"])
    assert set(first) == {"k0", "k1", "k2"}
    assert first["k1"]["translated"] == "text 1" and first["k1"]["original"] == "ข้อความ 1"
    assert repo.put_many(docs).inserted == 0  # idempotent
    again = repo.get_many(["k0"])
    assert again["k0"]["created_at"] == first["k0"]["created_at"]  # first insert time kept
    assert repo.count() == 3
    with pytest.raises(ValueError, match="lacks"):
        repo.put_many([{"_id": "k9", "original": "x"}])


def test_reports_upsert_and_list(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.reports()
    repo.upsert_report(
        {
            "period_type": "weekly",
            "period_key": "2025-W02",
            "period_start": date(2025, 1, 6),
            "period_end": date(2025, 1, 13),
            "total_conversations": 5,
            "old_field": 1,
        }
    )
    first = repo.get_report("weekly", "2025-W02")
    repo.upsert_report(
        {
            "period_type": "weekly",
            "period_key": "2025-W02",
            "period_start": "2025-01-06",
            "period_end": "2025-01-13",
            "total_conversations": 7,
        }
    )
    repo.upsert_report(
        {
            "period_type": "daily",
            "period_key": "2025-01-06",
            "period_start": "2025-01-06",
            "period_end": "2025-01-07",
            "total_conversations": 1,
        }
    )
    report = repo.get_report("weekly", "2025-W02")
    assert report["_id"] == "weekly_2025-W02" and report["total_conversations"] == 7
    assert report["period_start"] == "2025-01-06" and "old_field" not in report  # replaced whole
    assert report["created_at"] == first["created_at"]
    assert [r["_id"] for r in repo.list_reports()] == ["daily_2025-01-06", "weekly_2025-W02"]
    assert [r["_id"] for r in repo.list_reports("daily")] == ["daily_2025-01-06"]
    assert repo.get_report("monthly", "2025-01") is None
    with pytest.raises(ValueError, match="period_type"):
        repo.upsert_report({"period_type": "yearly", "period_key": "2025"})


def test_users_upsert_by_user_key(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.users()
    frame = pl.DataFrame(
        {
            "user_key": ["u1", "u2"],
            "total_conversations": [3, 1],
            "last_conversation_at": [datetime(2025, 1, 2, 9, tzinfo=UTC)] * 2,
        }
    )
    repo.upsert_many(frame)
    repo.upsert_many(frame.with_columns(total_conversations=pl.Series([4, 1])))
    assert repo.count() == 2
    assert repo.get_user("u1")["total_conversations"] == 4
    with pytest.raises(ValueError, match="user_key"):
        repo.upsert_many(pl.DataFrame({"user_key": [None, "u3"]}, schema={"user_key": pl.String}))


def test_key_from_another_partition_moves(mongo_resource: MongoResource) -> None:
    """A key new to this partition that exists in another one (a message whose created_at was
    corrected to another day): the insert collides, the retry moves the document."""
    repo = mongo_resource.messages()
    message = {
        "message_id": "m1",
        "conversation_id": "c1",
        "created_at": datetime(2025, 1, 2, 23, 59, tzinfo=UTC),
    }
    repo.replace_partition("2025-01-02", [message, {**message, "message_id": "m2"}])
    moved_message = {**message, "created_at": datetime(2025, 1, 3, 0, 1, tzinfo=UTC)}
    counts = repo.replace_partition("2025-01-03", [moved_message])
    assert (counts.documents, counts.matched) == (1, 1)
    assert repo.count() == 2
    moved = repo.find({"message_id": "m1"})
    assert [(d["partition"], d["created_at"]) for d in moved] == [
        ("2025-01-03", moved_message["created_at"])
    ]
    assert [d["message_id"] for d in repo.partition_documents("2025-01-02")] == ["m2"]


def test_categories_are_kept_per_day(mongo_resource: MongoResource) -> None:
    """A conversation active on two days keeps each day's labels (same category_id)."""
    repo = mongo_resource.categories()
    label = {
        "category_id": "c1_topic_x",
        "conversation_id": "c1",
        "category_type": "topic",
        "category_value": "x",
    }
    repo.replace_partition("2025-01-02", [{**label, "confidence_score": 0.6}])
    repo.replace_partition("2025-01-03", [{**label, "confidence_score": 0.9}])
    repo.replace_partition("2025-01-02", [{**label, "confidence_score": 0.7}])  # re-run day 1
    docs = repo.find({"category_id": "c1_topic_x"}, sort=[("partition", 1)])
    assert [(d["partition"], d["confidence_score"]) for d in docs] == [
        ("2025-01-02", 0.7),
        ("2025-01-03", 0.9),
    ]


def test_invalid_document_fails_the_write_clearly(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.categories()
    bad = [
        {
            "category_id": "c1_topic_x",
            "conversation_id": "c1",
            "category_type": "topic",
            "category_value": "x",
            "confidence_score": 3.0,
        }
    ]
    with pytest.raises(BulkWriteError) as info:
        repo.replace_partition("2025-01-02", bad)
    assert info.value.details["writeErrors"][0]["code"] == 121
