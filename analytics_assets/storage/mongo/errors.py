"""`processing_errors`: row-level failures of every asset, with an open → resolved lifecycle.

An asset that meets bad rows does not fail its partition: it hands the rows (a
`schemas.PROCESSING_ERRORS_SCHEMA` frame) to `record_partition`. Re-materializing the
partition is the retry: errors that recur stay open (`attempts` grows, `first_seen` is kept),
errors that do not recur are marked resolved. So the open errors always describe the latest
attempt of each partition, and nothing is deleted (the history of a resolved error stays).
"""

from __future__ import annotations

import uuid
from typing import Any

import polars as pl
from pymongo import UpdateOne

from analytics_assets.schemas import PROCESSING_ERRORS_SCHEMA, conform
from analytics_assets.storage.mongo.base import WRITE_ID, Repository, grouped, utcnow
from analytics_assets.storage.mongo.collections import PROCESSING_ERRORS
from analytics_assets.storage.mongo.models import ErrorDocument, ErrorSummaryRow, RecordCounts

KEY = ("asset", "partition", "stage", "record_id")
UNKNOWN = "unknown"


def prepare_errors(asset: str, partition: str, errors: pl.DataFrame) -> pl.DataFrame:
    """Conform to the schema, pin asset/partition, fill required fields, one row per key.

    A row without a `record_id` gets a stable surrogate (hash of what identifies it), so its
    retries land on the same document. Rows naming another asset or partition are refused:
    that is a caller bug, and silently re-keying them would mix up partitions.
    """
    frame = conform(errors, PROCESSING_ERRORS_SCHEMA)
    for column, expected in (("asset", asset), ("partition", partition)):
        other = frame.filter(pl.col(column).is_not_null() & (pl.col(column) != expected))
        if other.height:
            raise ValueError(
                f"errors for {column}={other[column][0]!r} passed to record_partition of "
                f"{column}={expected!r}"
            )
    surrogate = pl.concat_str(
        [
            pl.col(c).fill_null("")
            for c in ("record_type", "conversation_id", "message_id", "reason", "detail")
        ],
        separator="\x1f",
    ).hash()
    return (
        frame.with_columns(
            asset=pl.lit(asset),
            partition=pl.lit(partition),
            stage=pl.col("stage").fill_null(UNKNOWN),
            reason=pl.when(pl.col("reason").fill_null("") == "")
            .then(pl.lit(UNKNOWN))
            .otherwise(pl.col("reason")),
            record_id=pl.when(pl.col("record_id").fill_null("") == "")
            .then(pl.lit("surrogate:") + surrogate.cast(pl.String))
            .otherwise(pl.col("record_id")),
        )
        # The last report of a key wins (one document per key; no duplicate-key races).
        .unique(subset=list(KEY), keep="last", maintain_order=True)
    )


class ErrorsRepository(Repository):
    collection_name = PROCESSING_ERRORS

    def record_partition(self, asset: str, partition: str, errors: pl.DataFrame) -> RecordCounts:
        """Record this attempt's errors of one asset partition; resolve the ones that went away.

        Returns `{"recorded": rows written, "new": keys seen for the first time, "resolved":
        earlier open errors that did not recur}`.
        """
        frame = prepare_errors(asset, partition, errors)
        now = utcnow()
        write_id = uuid.uuid4().hex
        ops = []
        for row in frame.to_dicts():
            fields = {
                "status": "open",
                "last_seen": now,
                "reason": row["reason"],
                "detail": row["detail"],
                "record_type": row["record_type"],
                "conversation_id": row["conversation_id"],
                "message_id": row["message_id"],
                WRITE_ID: write_id,
            }
            ops.append(
                UpdateOne(
                    {k: row[k] for k in KEY},
                    {
                        "$setOnInsert": {"first_seen": now},
                        "$set": fields,
                        "$unset": {"resolved_at": ""},
                        "$inc": {"attempts": 1},
                    },
                    upsert=True,
                )
            )
        new = 0
        if ops:
            new = self.collection.bulk_write(ops, ordered=False).upserted_count
        resolved = self.collection.update_many(
            {"asset": asset, "partition": partition, "status": "open", WRITE_ID: {"$ne": write_id}},
            {"$set": {"status": "resolved", "resolved_at": now}},
        ).modified_count
        return RecordCounts(recorded=len(ops), new=new, resolved=resolved)

    def open_errors(
        self,
        asset: str | None = None,
        stage: str | None = None,
        partition: str | None = None,
        limit: int | None = None,
    ) -> list[ErrorDocument]:
        """Open errors, newest first (then by key), without bookkeeping fields."""
        flt: dict[str, Any] = {"status": "open"}
        for name, value in (("asset", asset), ("stage", stage), ("partition", partition)):
            if value is not None:
                flt[name] = value
        return self.find(  # type: ignore[return-value]
            flt,
            sort=[("last_seen", -1), *((k, 1) for k in KEY)],
            limit=limit,
            projection={"_id": 0, WRITE_ID: 0},
        )

    def summary(self) -> list[ErrorSummaryRow]:
        """Open error counts per asset and stage, with partitions affected and age."""
        totals = {
            "open": {"$sum": 1},
            "oldest_first_seen": {"$min": "$first_seen"},
            "latest_last_seen": {"$max": "$last_seen"},
        }
        keys = {"asset": "$asset", "stage": "$stage"}
        sets = {"partitions_seen": {"$addToSet": "$partition"}}
        derived = {"partitions": {"$size": "$partitions_seen"}}
        return self.aggregate(  # type: ignore[return-value]
            [{"$match": {"status": "open"}}, *grouped(keys, totals, derived, sets)]
        )

    def partitions_with_open_errors(self, asset: str) -> list[str]:
        """Partition keys of `asset` with open errors, sorted: what a retry job re-runs."""
        return sorted(self.collection.distinct("partition", {"asset": asset, "status": "open"}))
