"""`deleted_users`: pseudonymous users whose derived data was deleted (data-subject requests).

One document per `user_key` with when and what was removed. The pipeline reads the set on
every run (`analytics_assets.deletions`) and drops these users from what it derives, so a
later re-materialization does not bring them back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

DELETED_USERS = "deleted_users"


class DeletedUsersRepository:
    """The deletion list: who was deleted, when, by which key, and what each call removed."""

    def __init__(self, db: Database) -> None:
        self.collection = db[DELETED_USERS]

    def record(
        self, user_key: str, removed: dict[str, dict[str, int]], requested_by: str
    ) -> dict[str, Any]:
        """Add (or refresh) the user's entry. `removed` ({"lake"|"mongodb": {name: count}})
        is what this call removed; `removed_total` adds up every call, so a repeated request
        (which finds nothing left) keeps the record of what the first one took away."""
        now = datetime.now(UTC)
        update: dict[str, Any] = {
            "$set": {"user_key": user_key, "last_deleted_at": now, "last_removed": removed},
            "$setOnInsert": {"deleted_at": now, "requested_by": requested_by},
        }
        totals = {
            f"removed_total.{store}.{name}": count
            for store, counts in removed.items()
            for name, count in counts.items()
        }
        if totals:
            update["$inc"] = totals
        self.collection.update_one({"_id": user_key}, update, upsert=True)
        return self.collection.find_one({"_id": user_key}) or {}

    def keys(self) -> frozenset[str]:
        """Every deleted user's key (what ingestion withholds)."""
        return frozenset(d["_id"] for d in self.collection.find({}, projection={"_id": 1}))

    def get(self, user_key: str) -> dict[str, Any] | None:
        """The user's deletion record, or None."""
        return self.collection.find_one({"_id": user_key})
