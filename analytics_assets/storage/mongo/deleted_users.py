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
    def __init__(self, db: Database) -> None:
        self.collection = db[DELETED_USERS]

    def record(self, user_key: str, removed: dict[str, int], requested_by: str) -> dict[str, Any]:
        """Add (or refresh) the user's entry; `removed` counts what each store lost."""
        now = datetime.now(UTC)
        self.collection.update_one(
            {"_id": user_key},
            {
                "$set": {"user_key": user_key, "last_deleted_at": now, "removed": removed},
                "$setOnInsert": {"deleted_at": now, "requested_by": requested_by},
            },
            upsert=True,
        )
        return self.collection.find_one({"_id": user_key}) or {}

    def keys(self) -> frozenset[str]:
        return frozenset(d["_id"] for d in self.collection.find({}, projection={"_id": 1}))

    def get(self, user_key: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": user_key})
