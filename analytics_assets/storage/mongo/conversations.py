"""Conversation-level collections and the domain queries the reference's views computed.

* `conversation_analytics`: one document per conversation and UTC day (key `conversation_id`
  + `date`, `date` a BSON date at midnight UTC, `partition` the daily partition key).
* `conversation_messages`: one document per message row (one turn), key `message_id`.
* `conversation_categories`: one label per conversation, type, value and day, key
  `category_id` (= `<conversation_id>_<category_type>_<category_value>`) + `partition`: a
  conversation active on two days has each day's labels in that day's partition.

The reference computed its figures in 22 views over one `conversations` collection; here the
same figures are aggregation pipelines over these collections, restricted to the standard
MongoDB operators (`$match`, `$group`, `$dateTrunc`, `$addToSet`, `$filter`, `$bucket`, ...)
so the embedded server and a real mongod run the same code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import polars as pl

from analytics_assets.storage.mongo.base import (
    Documents,
    Repository,
    day_start,
    grouped,
)
from analytics_assets.storage.mongo.collections import (
    CONVERSATION_ANALYTICS,
    CONVERSATION_CATEGORIES,
    CONVERSATION_MESSAGES,
)

Period = Literal["day", "week", "month"]
DayLike = str | date | datetime

#: message-count buckets of `length_distribution` (lower bounds; the last is open-ended).
LENGTH_BOUNDARIES = (0, 2, 6, 11, 21)
LENGTH_LABELS = ("1", "2-5", "6-10", "11-20", "21+")


def category_id(conversation_id: str, category_type: str, category_value: str) -> str:
    return f"{conversation_id}_{category_type}_{category_value}"


def _with_partition(docs: Documents, partition: str, extra: dict[str, Any]) -> Documents:
    """Fill the partition key (and defaults such as `date`) where a document lacks them.

    A document that names another partition keeps it, so `replace_partition` refuses it.
    """
    defaults = {"partition": partition, **extra}
    if isinstance(docs, pl.DataFrame):
        cols = {name: pl.lit(value) for name, value in defaults.items() if name not in docs.columns}
        return docs.with_columns(**cols)
    return [{**defaults, **d} for d in docs]


class PartitionedRepository(Repository):
    """A collection whose documents belong to one daily partition (`partition` = key)."""

    def partition_defaults(self, partition: str) -> dict[str, Any]:
        return {}

    def partition_defaults_applied(
        self, partition_value: Any, docs: Documents, partition_field: str
    ) -> Documents:
        return _with_partition(docs, partition_value, self.partition_defaults(partition_value))


def _range(field: str, start: DayLike | None, end: DayLike | None) -> dict[str, Any]:
    """`{field: {$gte: start, $lt: end}}` on midnight-UTC bounds ([start, end) in days)."""
    bounds: dict[str, Any] = {}
    if start is not None:
        bounds["$gte"] = day_start(start)
    if end is not None:
        bounds["$lt"] = day_start(end)
    return {field: bounds} if bounds else {}


def _trunc(field: str, unit: Period) -> dict[str, Any]:
    spec: dict[str, Any] = {"date": field, "unit": unit, "timezone": "UTC"}
    if unit == "week":
        spec["startOfWeek"] = "monday"  # ISO weeks, as the weekly partitions
    return {"$dateTrunc": spec}


#: the conversation's price: `total_price` (the reference's name) or `total_cost` (what the
#: analytics stage writes); `$ifNull` treats a null field as missing.
PRICE = {"$ifNull": ["$total_price", "$total_cost", 0]}
#: the models a conversation used that day: `model_ids` (array) or the single `model_id`.
MODELS = {"$ifNull": ["$model_ids", ["$model_id"]]}
#: the sums every conversation summary reports
TOTALS = {
    "messages": {"$sum": "$message_count"},
    "tokens": {"$sum": "$total_tokens"},
    "price": {"$sum": PRICE},
}


def _non_null_size(field: str) -> dict[str, Any]:
    return {"$size": {"$filter": {"input": field, "cond": {"$ne": ["$$this", None]}}}}


class ConversationsRepository(PartitionedRepository):
    collection_name = CONVERSATION_ANALYTICS

    def partition_defaults(self, partition: str) -> dict[str, Any]:
        return {"date": day_start(partition)}

    def _active(self, start: DayLike | None, end: DayLike | None) -> dict[str, Any]:
        return {"$match": {"is_deleted": {"$ne": True}, **_range("date", start, end)}}

    def period_metrics(
        self,
        unit: Period = "day",
        start: DayLike | None = None,
        end: DayLike | None = None,
        app_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Per period (UTC day / ISO week / month) and app: conversations, messages, tokens,
        price, unique users (the reference's `{daily,weekly,monthly}_conversation_metrics`).

        A conversation active on several days counts once per week or month.
        """
        match = self._active(start, end)
        if app_id is not None:
            match["$match"]["app_id"] = app_id
        keys = {"period_start": _trunc("$date", unit), "app_id": "$app_id"}
        sets = {
            "conversation_ids": {"$addToSet": "$conversation_id"},
            "users": {"$addToSet": "$user_key"},
        }
        derived = {
            "conversations": {"$size": "$conversation_ids"},
            "unique_users": _non_null_size("$users"),
        }
        return self.aggregate([match, *grouped(keys, TOTALS, derived, sets)])

    def model_usage(
        self, start: DayLike | None = None, end: DayLike | None = None
    ) -> list[dict[str, Any]]:
        """Per UTC day, provider and model: conversations, messages, tokens, price.

        A conversation that used several models on a day (`model_ids`) counts under each.
        """
        keys = {"day": "$date", "model_provider": "$model_provider", "model_id": "$_model"}
        return self.aggregate(
            [
                self._active(start, end),
                {"$addFields": {"_model": MODELS}},
                {"$unwind": {"path": "$_model", "preserveNullAndEmptyArrays": True}},
                *grouped(keys, {"conversations": {"$sum": 1}, **TOTALS}),
            ]
        )

    def length_distribution(
        self, start: DayLike | None = None, end: DayLike | None = None
    ) -> list[dict[str, Any]]:
        """Conversations per message-count bucket (messages summed over the conversation's
        days in the window). Every bucket is listed, empty ones with 0."""
        rows = self.aggregate(
            [
                self._active(start, end),
                {"$group": {"_id": "$conversation_id", "messages": {"$sum": "$message_count"}}},
                {
                    "$bucket": {
                        "groupBy": "$messages",
                        "boundaries": list(LENGTH_BOUNDARIES),
                        "default": "overflow",
                        "output": {"conversations": {"$sum": 1}},
                    }
                },
            ]
        )
        counts = {row["_id"]: row["conversations"] for row in rows}
        # Counts of 21 or more fall into the $bucket default (the last boundary is exclusive).
        out = []
        for i, label in enumerate(LENGTH_LABELS):
            bound = LENGTH_BOUNDARIES[i]
            n = counts.get(bound, 0) + (counts.get("overflow", 0) if label == "21+" else 0)
            out.append({"bucket": label, "min_messages": bound, "conversations": n})
        return out

    def user_activity(
        self,
        start: DayLike | None = None,
        end: DayLike | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """One row per pseudonymous user: conversations, messages, tokens, price, active
        days, first and last active day; most conversations first."""
        totals = {**TOTALS, "first_day": {"$min": "$date"}, "last_day": {"$max": "$date"}}
        sets = {
            "conversation_ids": {"$addToSet": "$conversation_id"},
            "days": {"$addToSet": "$date"},
        }
        derived = {
            "conversations": {"$size": "$conversation_ids"},
            "active_days": {"$size": "$days"},
        }
        sort = {"conversations": -1, "user_key": 1}
        pipeline: list[dict[str, Any]] = [
            self._active(start, end),
            {"$match": {"user_key": {"$type": "string"}}},
            *grouped({"user_key": "$user_key"}, totals, derived, sets, sort=sort),
        ]
        if limit:
            pipeline.append({"$limit": limit})
        return self.aggregate(pipeline)


class MessagesRepository(PartitionedRepository):
    collection_name = CONVERSATION_MESSAGES

    def conversation_messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """A conversation's turns in order."""
        return self.find(
            {"conversation_id": conversation_id},
            sort=[("created_at", 1), ("message_id", 1)],
            projection={"_write_id": 0},
        )


class CategoriesRepository(PartitionedRepository):
    collection_name = CONVERSATION_CATEGORIES

    def distribution(
        self,
        start: DayLike | None = None,
        end: DayLike | None = None,
        category_type: str | None = None,
    ) -> list[dict[str, Any]]:
        """Per day (partition), app, category type and value: labels and mean confidence
        (the reference's `category_distribution`)."""
        match: dict[str, Any] = {}
        bounds: dict[str, str] = {}
        if start is not None:
            bounds["$gte"] = day_start(start).date().isoformat()
        if end is not None:
            bounds["$lt"] = day_start(end).date().isoformat()
        if bounds:
            match["partition"] = bounds
        if category_type is not None:
            match["category_type"] = category_type
        keys = {
            "day": "$partition",
            "app_id": "$app_id",
            "category_type": "$category_type",
            "category_value": "$category_value",
        }
        totals = {"count": {"$sum": 1}, "avg_confidence": {"$avg": "$confidence_score"}}
        sets = {"conversation_ids": {"$addToSet": "$conversation_id"}}
        derived = {"conversations": {"$size": "$conversation_ids"}}
        return self.aggregate([{"$match": match}, *grouped(keys, totals, derived, sets)])
