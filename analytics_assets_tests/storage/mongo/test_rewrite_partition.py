"""`rewrite_partition` (the serving assets' bulk path) and the embedded server's patches."""

from __future__ import annotations

import polars as pl
import pytest
from pymongo.errors import DuplicateKeyError

from analytics_assets.storage.mongo import MongoResource, server_patches
from analytics_assets.storage.mongo.base import WRITE_ID
from analytics_assets_tests.storage.mongo.test_repositories import _conversations

STAMPS = {"_id", WRITE_ID, "updated_at"}


def _docs(mongo: MongoResource, partition: str) -> list[dict]:
    found = mongo.conversations().find({"partition": partition}, sort=[("conversation_id", 1)])
    return [{k: v for k, v in d.items() if k not in STAMPS} for d in found]


def test_rewrite_leaves_what_replace_leaves(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.conversations()
    repo.replace_partition("2025-01-02", _conversations(40))
    replaced = _docs(mongo_resource, "2025-01-02")
    repo.rewrite_partition("2025-01-02", _conversations(10, offset=35), batch=3, connections=2)
    assert len(_docs(mongo_resource, "2025-01-02")) == 10  # the stale 35 are gone
    repo.rewrite_partition("2025-01-02", _conversations(40), batch=7, connections=1)
    assert _docs(mongo_resource, "2025-01-02") == replaced
    (one,) = repo.find({"conversation_id": "c0"})
    assert one[WRITE_ID] and one["updated_at"]


def test_rewrite_touches_only_its_partition_and_refuses_bad_input(
    mongo_resource: MongoResource,
) -> None:
    repo = mongo_resource.conversations()
    repo.rewrite_partition("2025-01-03", _conversations(5, day="2025-01-03", offset=100))
    repo.rewrite_partition("2025-01-02", _conversations(5))
    assert repo.count({"partition": "2025-01-03"}) == 5
    twice = pl.concat([_conversations(2), _conversations(2)])
    with pytest.raises(ValueError, match="duplicate"):
        repo.rewrite_partition("2025-01-02", twice)
    other = _conversations(2, day="2025-01-03").with_columns(partition=pl.lit("2025-01-03"))
    with pytest.raises(ValueError, match="not the partition being written"):
        repo.rewrite_partition("2025-01-02", other)


def test_patched_server_sees_index_changes_at_once(mongo_resource: MongoResource) -> None:
    """The cached index list is dropped by DDL: a unique index created (or dropped) between
    writes is enforced (or not) on the very next insert."""
    assert server_patches.apply()  # the installed SecantusDB is the patched version
    coll = mongo_resource.db()["patch_probe"]
    coll.drop()
    coll.insert_many([{"k": i} for i in range(5)])
    coll.create_index("k", unique=True, name="k_unique")
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"k": 3})
    coll.drop_index("k_unique")
    coll.insert_one({"k": 3})
    assert coll.count_documents({"k": 3}) == 2
    coll.create_index([("tags", 1)], name="tags")
    coll.insert_many([{"k": 10, "tags": ["a", "b"]}, {"k": 11, "tags": ["b"]}])  # multikey
    assert coll.count_documents({"tags": "b"}) == 2
    coll.drop()
