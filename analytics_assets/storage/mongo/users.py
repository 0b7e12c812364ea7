"""`user_analytics`: one document per pseudonymous user (`_id` = `user_key`).

Totals are recomputed from row-level data and written with `$set` (the reference added with
`+=`, so every re-run double-counted). Only keyed pseudonyms (privacy.py) are stored.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from analytics_assets.storage.mongo.base import Documents, Repository, WriteCounts
from analytics_assets.storage.mongo.collections import USER_ANALYTICS


class UsersRepository(Repository):
    collection_name = USER_ANALYTICS

    def upsert_many(
        self, docs: Documents, key_fields: Any = None, chunk_size: int = 2000
    ) -> WriteCounts:
        """Upsert users by `user_key` (copied into `_id`)."""
        if isinstance(docs, pl.DataFrame):
            if "user_key" not in docs.columns:
                raise ValueError("user_analytics frame needs a user_key column")
            if docs["user_key"].null_count():
                raise ValueError("user_analytics rows need a user_key (got nulls)")
            frame = docs.with_columns(pl.col("user_key").alias("_id"))
        else:
            frame = [{**d, "_id": d["user_key"]} for d in docs]
        return super().upsert_many(frame, key_fields=("_id",), chunk_size=chunk_size)

    def get_user(self, user_key: str) -> dict[str, Any] | None:
        return self.collection.find_one({"_id": user_key})
