"""Collections, validators and indexes on the real (embedded or MONGODB_URI) server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pymongo.errors import DuplicateKeyError, WriteError

from analytics_assets.storage.mongo import MongoResource, ensure_schema
from analytics_assets.storage.mongo.collections import (
    ANALYTICS_REPORTS,
    CONVERSATION_ANALYTICS,
    CONVERSATION_CATEGORIES,
    CONVERSATION_MESSAGES,
    CONVERSATION_TRANSLATIONS,
    PROCESSING_ERRORS,
    SPECS,
    SPECS_BY_NAME,
    USER_ANALYTICS,
    CollectionSpec,
    IndexSpec,
)

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
DAY = datetime(2025, 1, 2, tzinfo=UTC)

# A valid document per collection; each test breaks one field of it.
VALID: dict[str, dict] = {
    CONVERSATION_ANALYTICS: {
        "conversation_id": "c1",
        "date": DAY,
        "partition": "2025-01-02",
        "app_id": "app",
        "updated_at": NOW,
        "message_count": 3,
    },
    CONVERSATION_MESSAGES: {
        "message_id": "m1",
        "conversation_id": "c1",
        "partition": "2025-01-02",
        "created_at": NOW,
        "updated_at": NOW,
    },
    CONVERSATION_CATEGORIES: {
        "category_id": "c1_topic_pricing",
        "conversation_id": "c1",
        "category_type": "topic",
        "category_value": "pricing",
        "partition": "2025-01-02",
        "updated_at": NOW,
        "confidence_score": 0.8,
    },
    CONVERSATION_TRANSLATIONS: {
        "_id": "k1",
        "original": "สวัสดี",
        "translated": "hello",
        "source_language": "th",
        "target_language": "en",
        "backend": "libretranslate",
        "created_at": NOW,
    },
    ANALYTICS_REPORTS: {
        "_id": "daily_2025-01-02",
        "period_type": "daily",
        "period_key": "2025-01-02",
        "period_start": "2025-01-02",
        "period_end": "2025-01-03",
        "updated_at": NOW,
    },
    USER_ANALYTICS: {"_id": "u1", "user_key": "u1", "updated_at": NOW},
    PROCESSING_ERRORS: {
        "asset": "raw_messages",
        "partition": "2025-01-02",
        "stage": "ingestion",
        "record_id": "m1",
        "reason": "unparseable created_at",
        "status": "open",
        "first_seen": NOW,
        "last_seen": NOW,
        "attempts": 1,
    },
}

# (collection, field, bad value or None = remove the field)
BAD = [
    (CONVERSATION_ANALYTICS, "date", "2025-01-02"),  # a string timestamp: the reference's bug
    (CONVERSATION_ANALYTICS, "conversation_id", None),
    (CONVERSATION_ANALYTICS, "partition", "02.01.2025"),
    (CONVERSATION_ANALYTICS, "message_count", -1),
    (CONVERSATION_MESSAGES, "created_at", "2025-01-02 03:04:05+00:00"),
    (CONVERSATION_MESSAGES, "message_id", ""),
    (CONVERSATION_CATEGORIES, "confidence_score", 1.5),
    (CONVERSATION_CATEGORIES, "category_value", None),
    (CONVERSATION_TRANSLATIONS, "translated", None),
    (CONVERSATION_TRANSLATIONS, "created_at", 17),
    (ANALYTICS_REPORTS, "period_type", "yearly"),
    (ANALYTICS_REPORTS, "period_start", NOW),
    (USER_ANALYTICS, "user_key", None),
    (PROCESSING_ERRORS, "status", "ignored"),
    (PROCESSING_ERRORS, "attempts", 0),
    (PROCESSING_ERRORS, "first_seen", None),
]


def test_every_reference_collection_has_a_spec() -> None:
    assert set(VALID) == set(SPECS_BY_NAME)


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_documents_are_accepted(mongo_resource: MongoResource, name: str) -> None:
    coll = mongo_resource.db()[name]
    coll.insert_one(dict(VALID[name]))
    assert coll.count_documents({}) == 1


@pytest.mark.parametrize(("name", "field", "value"), BAD, ids=[f"{n}.{f}" for n, f, _ in BAD])
def test_validator_rejects_bad_documents(
    mongo_resource: MongoResource, name: str, field: str, value: object
) -> None:
    doc = dict(VALID[name])
    if value is None:
        doc.pop(field)
    else:
        doc[field] = value
    coll = mongo_resource.db()[name]
    with pytest.raises(WriteError) as info:
        coll.insert_one(doc)
    assert info.value.code == 121  # DocumentValidationFailure
    assert "validation" in str(info.value).lower()
    assert coll.count_documents({}) == 0


def test_extra_fields_are_allowed(mongo_resource: MongoResource) -> None:
    """Later stages add figures: the validators must not reject unknown fields."""
    doc = {**VALID[ANALYTICS_REPORTS], "model_counts": {"gpt": {"conversation_count": 3}}}
    mongo_resource.db()[ANALYTICS_REPORTS].insert_one(doc)
    assert mongo_resource.reports().get_report("daily", "2025-01-02")["model_counts"]


UNIQUE = [
    (CONVERSATION_ANALYTICS, {}),  # same conversation_id + date
    (CONVERSATION_MESSAGES, {}),
    (CONVERSATION_CATEGORIES, {}),
    (CONVERSATION_TRANSLATIONS, {}),
    (ANALYTICS_REPORTS, {"_id": "another_id"}),  # same period_type + period_key
    (USER_ANALYTICS, {}),
    (PROCESSING_ERRORS, {"reason": "another reason"}),  # same asset/partition/stage/record
]


@pytest.mark.parametrize(("name", "change"), UNIQUE, ids=[n for n, _ in UNIQUE])
def test_unique_business_keys_hold(mongo_resource: MongoResource, name: str, change: dict) -> None:
    coll = mongo_resource.db()[name]
    coll.insert_one(dict(VALID[name]))
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({**VALID[name], **change})
    assert coll.count_documents({}) == 1


def _snapshot(resource: MongoResource) -> dict:
    db = resource.db()
    return {
        info["name"]: (info.get("options"), db[info["name"]].index_information())
        for info in db.list_collections()
        if info["name"] in SPECS_BY_NAME
    }


def test_ensure_schema_twice_changes_nothing(mongo_session_resource: MongoResource) -> None:
    before = _snapshot(mongo_session_resource)
    changes = mongo_session_resource.ensure_schema()
    assert not changes.changed, changes
    assert _snapshot(mongo_session_resource) == before
    assert set(before) == set(SPECS_BY_NAME)
    for name, (options, indexes) in before.items():
        assert options["validator"] == SPECS_BY_NAME[name].validator
        assert {ix.name for ix in SPECS_BY_NAME[name].indexes} <= set(indexes)


def test_changed_validator_and_index_are_applied(mongo_server) -> None:
    """A spec that changes between releases: `collMod` and an index rebuild, data kept."""
    resource = mongo_server.resource(database=mongo_server.database + "_evolve")
    db = resource.client()[resource.database]
    try:
        v1 = CollectionSpec(
            name="evolving",
            validator={"$jsonSchema": {"bsonType": "object", "required": ["a"]}},
            indexes=(IndexSpec(keys=(("a", 1),), name="a_ix"),),
        )
        assert ensure_schema(db, (v1,)).created == ["evolving"]
        db.evolving.insert_one({"a": 1})
        v2 = CollectionSpec(
            name="evolving",
            validator={"$jsonSchema": {"bsonType": "object", "required": ["a", "b"]}},
            indexes=(IndexSpec(keys=(("a", 1),), name="a_ix", unique=True),),
        )
        changes = ensure_schema(db, (v2,))
        assert changes.validators_updated == ["evolving"]
        assert changes.indexes_rebuilt == ["evolving.a_ix"]
        options = next(iter(db.list_collections(filter={"name": "evolving"})))["options"]
        assert options["validator"] == v2.validator
        assert db.evolving.index_information()["a_ix"]["unique"] is True
        with pytest.raises(WriteError):
            db.evolving.insert_one({"a": 2})  # no "b" any more
        assert db.evolving.count_documents({}) == 1
        assert not ensure_schema(db, (v2,)).changed
    finally:
        resource.client().drop_database(resource.database)


def test_schema_is_ensured_on_first_use(mongo_server) -> None:
    """No explicit set-up step: the first repository access creates everything."""
    resource = mongo_server.resource(database=mongo_server.database + "_lazy")
    try:
        resource.errors().open_errors()
        names = set(resource.client()[resource.database].list_collection_names())
        assert {spec.name for spec in SPECS} <= names
    finally:
        resource.client().drop_database(resource.database)
