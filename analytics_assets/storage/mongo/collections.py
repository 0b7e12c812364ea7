"""Collection specs: names, `$jsonSchema` validators and indexes, applied idempotently.

The system this replaces defined validators but never applied them, kept timestamps as strings
and had no unique indexes, so re-runs duplicated documents (reference/seed-domain.md §3). Here:

* every timestamp is a BSON date (UTC); partition keys and report period bounds stay ISO
  strings because they are keys, not instants;
* every collection has a unique business key, so bulk upserts never duplicate;
* validators are strict on the keys and types the platform relies on (`validationLevel:
  strict`, `validationAction: error`) but allow extra fields (no `additionalProperties:
  false`): later stages add figures to reports and analytics documents;
* `ensure_schema(db)` creates what is missing, `collMod`s a validator that changed, and creates
  or rebuilds indexes whose definition changed; a second call changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import CollectionInvalid, OperationFailure

log = logging.getLogger(__name__)

DATE_KEY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# Collection names (the reference's documented names; its code used shorter ones).
CONVERSATION_ANALYTICS = "conversation_analytics"
CONVERSATION_MESSAGES = "conversation_messages"
CONVERSATION_CATEGORIES = "conversation_categories"
CONVERSATION_TRANSLATIONS = "conversation_translations"
ANALYTICS_REPORTS = "analytics_reports"
USER_ANALYTICS = "user_analytics"
PROCESSING_ERRORS = "processing_errors"

PERIOD_TYPES = ("daily", "weekly", "monthly")
ERROR_STATUSES = ("open", "resolved")


@dataclass(frozen=True)
class IndexSpec:
    keys: tuple[tuple[str, int], ...]
    name: str
    unique: bool = False

    def matches(self, info: dict[str, Any]) -> bool:
        """Same definition as an entry of `index_information()`."""
        existing = tuple((k, int(d)) for k, d in info.get("key", []))
        return existing == self.keys and bool(info.get("unique", False)) == self.unique


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    validator: dict[str, Any]
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)
    #: the business key: what `upsert_many` matches on by default.
    key_fields: tuple[str, ...] = ("_id",)


# --- validator building blocks ------------------------------------------------------------

_STRING = {"bsonType": "string"}
_NONEMPTY = {"bsonType": "string", "minLength": 1}
_DATE = {"bsonType": "date"}
_INT = {"bsonType": ["int", "long"], "minimum": 0}
_NUM = {"bsonType": ["double", "int", "long", "decimal"]}
_DATE_KEY = {"bsonType": "string", "pattern": DATE_KEY_PATTERN}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    types = schema["bsonType"]
    types = [types] if isinstance(types, str) else list(types)
    return {**schema, "bsonType": [*types, "null"]}


def _schema(title: str, required: dict[str, Any], optional: dict[str, Any]) -> dict[str, Any]:
    return {
        "$jsonSchema": {
            "bsonType": "object",
            "title": title,
            "required": list(required),
            "properties": {**required, **{k: _nullable(v) for k, v in optional.items()}},
        }
    }


def _ix(name: str, *keys: tuple[str, int], unique: bool = False) -> IndexSpec:
    return IndexSpec(keys=tuple(keys), name=name, unique=unique)


# --- the collections ----------------------------------------------------------------------

SPECS: tuple[CollectionSpec, ...] = (
    CollectionSpec(
        name=CONVERSATION_ANALYTICS,
        # One document per conversation and UTC day it was active on.
        validator=_schema(
            "conversation analytics (one per conversation and day)",
            required={
                "conversation_id": _NONEMPTY,
                "date": _DATE,
                "partition": _DATE_KEY,
                "app_id": _STRING,
                "updated_at": _DATE,
            },
            optional={
                "model_provider": _STRING,
                "model_id": _STRING,
                "model_ids": {"bsonType": "array", "items": {"bsonType": "string"}},
                "user_key": _STRING,
                "message_count": _INT,
                "total_tokens": _INT,
                "total_price": _NUM,
                "total_cost": _NUM,
                "created_at": _DATE,
                "first_message_at": _DATE,
                "last_message_at": _DATE,
                "is_deleted": {"bsonType": "bool"},
            },
        ),
        indexes=(
            _ix("conversation_date_unique", ("conversation_id", 1), ("date", 1), unique=True),
            _ix("partition", ("partition", ASCENDING)),
            _ix("date", ("date", DESCENDING)),
            _ix("app_date", ("app_id", 1), ("date", DESCENDING)),
            _ix("model_date", ("model_id", 1), ("date", DESCENDING)),
            _ix("user_date", ("user_key", 1), ("date", DESCENDING)),
        ),
        key_fields=("conversation_id", "date"),
    ),
    CollectionSpec(
        name=CONVERSATION_MESSAGES,
        validator=_schema(
            "conversation messages (one per Dify message row = one turn)",
            required={
                "message_id": _NONEMPTY,
                "conversation_id": _NONEMPTY,
                "partition": _DATE_KEY,
                "created_at": _DATE,
                "updated_at": _DATE,
            },
            optional={
                "app_id": _STRING,
                "model_id": _STRING,
                "user_key": _STRING,
                "parent_message_id": _STRING,
                "sequence_number": _INT,
                "message_tokens": _INT,
                "answer_tokens": _INT,
                "total_price": _NUM,
                "provider_response_latency": _NUM,
            },
        ),
        indexes=(
            _ix("message_unique", ("message_id", 1), unique=True),
            _ix("conversation_created", ("conversation_id", 1), ("created_at", 1)),
            _ix("partition", ("partition", 1)),
            _ix("parent", ("parent_message_id", 1)),
        ),
        key_fields=("message_id",),
    ),
    CollectionSpec(
        name=CONVERSATION_CATEGORIES,
        validator=_schema(
            "conversation categories (one per conversation, category type, value and day)",
            required={
                "category_id": _NONEMPTY,
                "conversation_id": _NONEMPTY,
                "category_type": _NONEMPTY,
                "category_value": _NONEMPTY,
                "partition": _DATE_KEY,
                "updated_at": _DATE,
            },
            optional={
                "confidence_score": {**_NUM, "minimum": 0, "maximum": 1},
                "created_at": _DATE,
                "created_by": _STRING,
                "app_id": _STRING,
                "model_id": _STRING,
                "message_count": _INT,
            },
        ),
        indexes=(
            # Per partition: a conversation active on two days has labels on both days.
            _ix("category_unique", ("category_id", 1), ("partition", 1), unique=True),
            _ix("conversation", ("conversation_id", 1)),
            _ix(
                "type_value_created",
                ("category_type", 1),
                ("category_value", 1),
                ("created_at", -1),
            ),
            _ix("partition", ("partition", 1)),
        ),
        key_fields=("category_id", "partition"),
    ),
    CollectionSpec(
        name=CONVERSATION_TRANSLATIONS,
        # The translation cache: `_id` is the translator's cache key (text + languages + backend).
        validator=_schema(
            "translation cache (one per cache key)",
            required={
                "_id": _NONEMPTY,
                "original": _STRING,
                "translated": _STRING,
                "source_language": _NONEMPTY,
                "target_language": _NONEMPTY,
                "backend": _NONEMPTY,
                "created_at": _DATE,
            },
            optional={"updated_at": _DATE},
        ),
        indexes=(
            _ix("languages", ("source_language", 1), ("target_language", 1)),
            _ix("created_at", ("created_at", -1)),
        ),
        key_fields=("_id",),
    ),
    CollectionSpec(
        name=ANALYTICS_REPORTS,
        validator=_schema(
            "analytics reports (one per period)",
            required={
                "_id": _NONEMPTY,
                "period_type": {"enum": list(PERIOD_TYPES)},
                "period_key": _NONEMPTY,
                "period_start": _DATE_KEY,
                "period_end": _DATE_KEY,
                "updated_at": _DATE,
            },
            optional={
                "created_at": _DATE,
                "total_conversations": _INT,
                "total_messages": _INT,
                "total_tokens": _INT,
                "total_price": _NUM,
                "unique_user_count": _INT,
            },
        ),
        indexes=(
            _ix("period_unique", ("period_type", 1), ("period_key", 1), unique=True),
            _ix("type_start_end", ("period_type", 1), ("period_start", 1), ("period_end", 1)),
            _ix("updated_at", ("updated_at", -1)),
        ),
        key_fields=("_id",),
    ),
    CollectionSpec(
        name=USER_ANALYTICS,
        # `_id` = `user_key`, the keyed pseudonym (privacy.py): never a raw user id.
        validator=_schema(
            "user analytics (one per pseudonymous user)",
            required={"_id": _NONEMPTY, "user_key": _NONEMPTY, "updated_at": _DATE},
            optional={
                "total_conversations": _INT,
                "total_messages": _INT,
                "total_tokens": _INT,
                "total_price": _NUM,
                "first_conversation_at": _DATE,
                "last_conversation_at": _DATE,
            },
        ),
        indexes=(
            _ix("total_conversations", ("total_conversations", -1)),
            _ix("last_conversation_at", ("last_conversation_at", -1)),
        ),
        key_fields=("_id",),
    ),
    CollectionSpec(
        name=PROCESSING_ERRORS,
        validator=_schema(
            "row-level processing errors (one per asset, partition, stage and record)",
            required={
                "asset": _NONEMPTY,
                "partition": _STRING,
                "stage": _NONEMPTY,
                "record_id": _NONEMPTY,
                "reason": _NONEMPTY,
                "status": {"enum": list(ERROR_STATUSES)},
                "first_seen": _DATE,
                "last_seen": _DATE,
                "attempts": {"bsonType": ["int", "long"], "minimum": 1},
            },
            optional={
                "record_type": _STRING,
                "conversation_id": _STRING,
                "message_id": _STRING,
                "detail": _STRING,
                "resolved_at": _DATE,
            },
        ),
        indexes=(
            _ix(
                "error_key_unique",
                ("asset", 1),
                ("partition", 1),
                ("stage", 1),
                ("record_id", 1),
                unique=True,
            ),
            _ix("status_asset_stage", ("status", 1), ("asset", 1), ("stage", 1)),
            _ix("asset_status_partition", ("asset", 1), ("status", 1), ("partition", 1)),
            _ix("conversation", ("conversation_id", 1)),
        ),
        key_fields=("asset", "partition", "stage", "record_id"),
    ),
)

SPECS_BY_NAME: dict[str, CollectionSpec] = {spec.name: spec for spec in SPECS}


@dataclass
class SchemaChanges:
    """What one `ensure_schema` call changed (empty lists: nothing)."""

    created: list[str] = field(default_factory=list)
    validators_updated: list[str] = field(default_factory=list)
    indexes_created: list[str] = field(default_factory=list)
    indexes_rebuilt: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.validators_updated or self.indexes_created or self.indexes_rebuilt
        )


NAMESPACE_EXISTS = 48
INDEX_NOT_FOUND = 27


def ensure_schema(db: Database, specs: tuple[CollectionSpec, ...] = SPECS) -> SchemaChanges:
    """Create collections, validators and indexes; safe to run concurrently and repeatedly."""
    changes = SchemaChanges()
    existing = {info["name"]: info for info in db.list_collections()}
    for spec in specs:
        options = {"validator": spec.validator, "validationLevel": "strict"}
        info = existing.get(spec.name)
        if info is None:
            try:
                db.create_collection(spec.name, **options, validationAction="error")
                changes.created.append(spec.name)
            except (CollectionInvalid, OperationFailure) as exc:
                # Another process created it first: fall through to the validator check.
                if isinstance(exc, OperationFailure) and exc.code != NAMESPACE_EXISTS:
                    raise
                info = next(iter(db.list_collections(filter={"name": spec.name})), None)
        if info is not None:
            current = info.get("options", {})
            if (
                current.get("validator") != spec.validator
                or current.get("validationLevel", "strict") != "strict"
                or current.get("validationAction", "error") != "error"
            ):
                db.command(
                    "collMod",
                    spec.name,
                    validator=spec.validator,
                    validationLevel="strict",
                    validationAction="error",
                )
                changes.validators_updated.append(spec.name)
        _ensure_indexes(db, spec, changes)
    if changes.changed:
        log.info("MongoDB schema of %s updated: %s", db.name, changes)
    return changes


def _ensure_indexes(db: Database, spec: CollectionSpec, changes: SchemaChanges) -> None:
    coll = db[spec.name]
    current = coll.index_information()
    for index in spec.indexes:
        info = current.get(index.name)
        if info is not None and index.matches(info):
            continue
        if info is not None:
            # Same name, different definition: rebuild it (an index is derived data). Another
            # process may be doing the same: its drop first is fine.
            try:
                coll.drop_index(index.name)
            except OperationFailure as exc:
                if exc.code != INDEX_NOT_FOUND:
                    raise
            changes.indexes_rebuilt.append(f"{spec.name}.{index.name}")
        else:
            changes.indexes_created.append(f"{spec.name}.{index.name}")
        coll.create_index(list(index.keys), name=index.name, unique=index.unique)
