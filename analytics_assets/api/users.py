"""One pseudonymous user: profile, export of everything derived about them, deletion.

* **Profile** (`GET /v1/users/{key}`): MongoDB `user_analytics` (cumulative totals, sessions,
  top topics, mean sentiment) plus the per-day series from `conversation_analytics` documents
  (indexed by user): activity, topics and sentiment over time, and retention figures.
* **Export** (`GET /v1/users/{key}/export`, admin): every derived document and lake row that
  carries the key or one of the user's messages or conversations. Raw source rows are not
  derived data and are not exported (they hold the source's own user id, which the platform
  never serves).
* **Deletion** (`DELETE /v1/users/{key}`, admin): the key is recorded in `deleted_users` *first*
  (so every ingestion from then on withholds the user's source rows, `analytics_assets.deletions`),
  then the user's rows are removed from the raw copies in the lake (matched on the keyed
  pseudonym of the source's user id), from the row-level derived assets (each touched
  partition rewritten atomically, as the IO manager writes) and from every collection that names
  the user, their messages or their conversations, the translation cache entries of their
  texts included. The counts are stored with the deletion and returned. Aggregates
  (`model_performance`, the reports) hold no user key; they lose the user's contribution when
  they are next materialized.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import polars as pl

from analytics_assets.api.conversations import plain
from analytics_assets.api.lake import Lake, _quote
from analytics_assets.deletions import RAW_USER_COLUMN, raw_ids_of
from analytics_assets.storage.atomic import ParquetWriteOptions, write_parquet_atomic
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.collections import CONVERSATION_TRANSLATIONS
from analytics_assets.storage.mongo.deleted_users import DeletedUsersRepository

# Row-level derived assets and how a row is matched to the user.
USER_KEYED_ASSETS = ("categorized_messages", "conversation_analytics", "user_analytics")
MESSAGE_KEYED_ASSETS = ("translated_messages",)
# Raw copies of the source, matched on the pseudonym of the source's user id (deletion only).
RAW_ASSETS = ("raw_messages", "raw_conversations")


def user_profile(mongo: MongoResource, user_key: str) -> dict[str, Any] | None:
    doc = mongo.users().get_user(user_key)
    convs = list(
        mongo.conversations()
        .collection.find({"user_key": user_key}, projection={"_id": 0, "_write_id": 0})
        .sort("date", 1)
    )
    if doc is None and not convs:
        return None
    days: dict[str, dict[str, Any]] = {}
    topics: dict[str, int] = {}
    for c in convs:
        day = c.get("partition") or plain(c.get("date"))[:10]
        entry = days.setdefault(
            day, {"date": day, "conversations": 0, "messages": 0, "scores": [], "topics": {}}
        )
        entry["conversations"] += 1
        entry["messages"] += int(c.get("message_count") or 0)
        score = c.get("sentiment_score_end")
        if score is not None:
            entry["scores"].append(float(score))
        topic = c.get("dominant_topic")
        if topic:
            entry["topics"][topic] = entry["topics"].get(topic, 0) + 1
            topics[topic] = topics.get(topic, 0) + 1
    series = [
        {
            "date": e["date"],
            "conversations": e["conversations"],
            "messages": e["messages"],
            "sentiment_end_mean": (sum(e["scores"]) / len(e["scores"])) if e["scores"] else None,
            "topics": e["topics"],
        }
        for e in days.values()
    ]
    active = sorted(days)
    first, last = (
        (date.fromisoformat(active[0]), date.fromisoformat(active[-1]))
        if active
        else (
            None,
            None,
        )
    )
    retention = {
        "active_days": len(active),
        "first_active_day": active[0] if active else None,
        "last_active_day": active[-1] if active else None,
        "span_days": (last - first).days + 1 if first and last else 0,
        "returning": len(active) > 1,
    }
    summary = plain(doc or {})
    summary.pop("_id", None)
    return {
        "user_key": user_key,
        "summary": summary,
        "sessions": summary.get("sessions"),
        "retention": retention,
        "topics": dict(sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))),
        "over_time": series,
    }


def _lake_rows(
    lake: Lake, asset: str, column: str, values: list[str], columns: str = "*"
) -> pl.DataFrame | None:
    """Rows of every partition of `asset` whose `column` is one of `values`, with the file
    they came from (DuckDB scan with the filter pushed down; data-subject requests are rare,
    a full listing is fine)."""
    parts = lake.partitions(asset)
    if not parts or not values:
        return None
    con = lake.connection()
    files = ", ".join(_quote(lake.url(p.path)) for p in parts.values())
    sql = (
        f"SELECT {columns}, filename AS _file FROM read_parquet([{files}], "
        f'union_by_name = true, filename = true) WHERE "{column}" IN (SELECT unnest(?))'
    )
    return pl.from_arrow(con.sql(sql, params=[values]).to_arrow_table())


def _raw_user_ids(lake: Lake, user_key: str, pseudonym_key: str) -> list[str]:
    """The source's user ids whose keyed pseudonym is `user_key` (usually exactly one)."""
    found: set[str] = set()
    con = lake.connection()
    for asset in RAW_ASSETS:
        parts = lake.partitions(asset)
        if not parts:
            continue
        files = ", ".join(_quote(lake.url(p.path)) for p in parts.values())
        rows = con.sql(
            f"SELECT DISTINCT {RAW_USER_COLUMN} FROM read_parquet([{files}], union_by_name = true)"
        ).fetchall()
        found.update(raw_ids_of([r[0] for r in rows], frozenset({user_key}), pseudonym_key))
    return sorted(found)


def _user_rows(lake: Lake, user_key: str) -> dict[str, pl.DataFrame]:
    """The user's rows in the derived assets of the lake, by asset."""
    rows: dict[str, pl.DataFrame] = {}
    for asset in USER_KEYED_ASSETS:
        found = _lake_rows(lake, asset, "user_key", [user_key])
        if found is not None and found.height:
            rows[asset] = found
    message_ids = (
        rows["categorized_messages"]["message_id"].to_list()
        if "categorized_messages" in rows
        else []
    )
    for asset in MESSAGE_KEYED_ASSETS:
        found = _lake_rows(lake, asset, "message_id", message_ids)
        if found is not None and found.height:
            rows[asset] = found
    return rows


def _ids(rows: dict[str, pl.DataFrame], column: str) -> set[str]:
    out: set[str] = set()
    for frame in rows.values():
        if column in frame.columns:
            out.update(frame[column].drop_nulls().to_list())
    return out


def _conversation_ids(mongo: MongoResource, rows: dict[str, pl.DataFrame], user_key: str) -> list:
    ids = _ids(rows, "conversation_id")
    ids.update(mongo.conversations().collection.distinct("conversation_id", {"user_key": user_key}))
    return sorted(ids)


def _mongo_filters(
    user_key: str, conversation_ids: list[str], message_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Per collection, the filter that finds what names the user."""
    in_convs = {"conversation_id": {"$in": conversation_ids}}
    return {
        "user_analytics": {"_id": user_key},
        "conversation_analytics": {"user_key": user_key},
        "conversation_messages": {"$or": [{"user_key": user_key}, in_convs]},
        "conversation_categories": in_convs,
        "processing_errors": {
            "$or": [in_convs, {"message_id": {"$in": message_ids}}],
        },
    }


def _mongo_docs(mongo: MongoResource, filters: dict[str, dict[str, Any]]) -> dict:
    db = mongo.db()
    return {name: list(db[name].find(flt, {"_write_id": 0})) for name, flt in filters.items()}


def export_user(lake: Lake, mongo: MongoResource, user_key: str) -> dict[str, Any] | None:
    rows = _user_rows(lake, user_key)
    conversation_ids = _conversation_ids(mongo, rows, user_key)
    message_ids = sorted(_ids(rows, "message_id"))
    docs = _mongo_docs(mongo, _mongo_filters(user_key, conversation_ids, message_ids))
    if not rows and not any(docs.values()):
        return None
    return {
        "user_key": user_key,
        "conversation_ids": conversation_ids,
        "lake": {a: plain(f.drop("_file").to_dicts()) for a, f in rows.items()},
        "mongodb": {name: plain([_strip_id(d) for d in items]) for name, items in docs.items()},
    }


def _strip_id(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    if "_id" in out and not isinstance(out["_id"], str):
        out["_id"] = str(out["_id"])
    return out


def delete_user(
    lake: Lake, mongo: MongoResource, user_key: str, requested_by: str, pseudonym_key: str
) -> dict[str, Any]:
    """Remove the user from the lake and every collection; returns (and records) what was
    removed. Idempotent: a second call removes nothing more and keeps the first date."""
    deletions = DeletedUsersRepository(mongo.db())
    # Recorded first: an ingestion that starts from now on withholds the user.
    deletions.record(user_key, {}, requested_by)
    rows = _user_rows(lake, user_key)
    raw_ids = _raw_user_ids(lake, user_key, pseudonym_key)
    for asset in RAW_ASSETS:
        found = _lake_rows(lake, asset, RAW_USER_COLUMN, raw_ids)
        if found is not None and found.height:
            rows[asset] = found
    conversation_ids = _conversation_ids(mongo, rows, user_key)
    raw_messages = rows.get("raw_messages")
    message_ids = _ids(rows, "message_id")
    if raw_messages is not None:
        message_ids.update(raw_messages["id"].drop_nulls().to_list())
    texts = sorted(_texts(raw_messages)) if raw_messages is not None else []
    removed: dict[str, dict[str, int]] = {"lake": {}, "mongodb": {}}
    for asset, frame in rows.items():
        files = frame["_file"].unique().to_list()
        if asset in USER_KEYED_ASSETS:
            column, values = "user_key", [user_key]
        elif asset in RAW_ASSETS:
            column, values = RAW_USER_COLUMN, raw_ids
        else:
            column, values = "message_id", frame["message_id"].to_list()
        removed["lake"][asset] = _rewrite_without(lake, files, column, values)
    db = mongo.db()
    for name, flt in _mongo_filters(user_key, conversation_ids, sorted(message_ids)).items():
        removed["mongodb"][name] = db[name].delete_many(flt).deleted_count
    cache = 0
    for start in range(0, len(texts), 500):
        chunk = texts[start : start + 500]
        cache += (
            db[CONVERSATION_TRANSLATIONS].delete_many({"original": {"$in": chunk}}).deleted_count
        )
    removed["mongodb"][CONVERSATION_TRANSLATIONS] = cache
    doc = deletions.record(user_key, removed, requested_by)
    return {
        "user_key": user_key,
        "deleted_at": plain(doc.get("deleted_at")),
        "removed": removed,
        "conversations": len(conversation_ids),
        "note": "aggregates (model_performance, reports) drop the user at their next run; "
        "later ingestions withhold the user's source rows",
    }


def _texts(raw_messages: pl.DataFrame) -> set[str]:
    out: set[str] = set()
    for column in ("query", "answer"):
        if column in raw_messages.columns:
            out.update(t for t in raw_messages[column].drop_nulls().to_list() if t.strip())
    return out


def _rewrite_without(lake: Lake, files: Iterable[str], column: str, values: list[str]) -> int:
    """Rewrite each partition file without the rows whose `column` is in `values` (atomic
    replace, as the IO manager writes); returns the number of rows removed."""
    removed = 0
    options = ParquetWriteOptions(
        compression_level=lake.io.compression_level, row_group_size=lake.io.row_group_size
    )
    for url in files:
        path = url.removeprefix("s3://") if lake.io.is_s3 else url
        frame = pl.from_arrow(lake.read_path(path))
        kept = frame.filter(~pl.col(column).is_in(values) | pl.col(column).is_null())
        removed += frame.height - kept.height
        if kept.height != frame.height:
            write_parquet_atomic(kept, lake.fs, path, options)
    return removed
