"""One conversation's turns: query and answer, labels with confidences, language, translation,
latency, tokens, cost and error, joined by message id from the day partitions it touched.

The days come from MongoDB `conversation_analytics` (one document per conversation and active
day, indexed by conversation id), so only those partitions are read, each with a filter on the
conversation id that DuckDB pushes into the Parquet scan. Raw user ids and `inputs` (which carry
PII) are never selected.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from analytics_assets.api.lake import Lake, _quote
from analytics_assets.defs.analytics.prepare import RAW_MESSAGE_COLUMNS
from analytics_assets.schemas import CATEGORIZED_SCHEMA
from analytics_assets.storage.mongo import MongoResource

#: what analytics read of a raw message, with the texts and without the raw user id
RAW_TURN_COLUMNS = (*(c for c in RAW_MESSAGE_COLUMNS if c != "from_end_user_id"), "query", "answer")
#: a turn's labels: the categorized row less what the raw row already gives
LABEL_COLUMNS = tuple(c for c in CATEGORIZED_SCHEMA if c not in RAW_TURN_COLUMNS)
TRANSLATION_COLUMNS = (
    "message_id",
    "target_language",
    "query_translated",
    "answer_translated",
    "translation_status",
)


def conversation_days(mongo: MongoResource, conversation_id: str) -> list[str]:
    docs = mongo.conversations().collection.find(
        {"conversation_id": conversation_id}, projection={"partition": 1, "_id": 0}
    )
    return sorted({d["partition"] for d in docs if d.get("partition")})


def _read(lake: Lake, asset: str, days: list[str], columns: tuple[str, ...], where: str, value):
    parts = lake.partitions(asset, days)
    if not parts:
        return None
    con = lake.connection()
    files = ", ".join(_quote(lake.url(p.path)) for p in parts.values())
    source = f"read_parquet([{files}], union_by_name = true)"
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    chosen = ", ".join(f'"{c}"' for c in columns if c in present)
    table = con.sql(
        f"SELECT {chosen} FROM {source} WHERE {where} = ?", params=[value]
    ).to_arrow_table()
    return pl.from_arrow(table)


def conversation_turns(lake: Lake, mongo: MongoResource, conversation_id: str) -> dict | None:
    """The conversation's turns in time order, or None when no partition holds it."""
    days = conversation_days(mongo, conversation_id)
    if not days:
        return None
    raw = _read(lake, "raw_messages", days, RAW_TURN_COLUMNS, "conversation_id", conversation_id)
    if raw is None or raw.height == 0:
        return None
    labels = _read(
        lake,
        "categorized_messages",
        days,
        LABEL_COLUMNS,
        "conversation_id",
        conversation_id,
    )
    translations = _read(
        lake, "translated_messages", days, TRANSLATION_COLUMNS, "conversation_id", conversation_id
    )
    turns = raw.rename({"id": "message_id"})
    if labels is not None and labels.height:
        turns = turns.join(labels, on="message_id", how="left")
    if translations is not None and translations.height:
        turns = turns.join(translations, on="message_id", how="left")
    turns = turns.sort(["created_at", "message_id"])
    users = (
        [u for u in turns.get_column("user_key").unique().to_list() if u]
        if ("user_key" in turns.columns)
        else []
    )
    out: list[dict[str, Any]] = []
    for row in turns.iter_rows(named=True):
        status = (row.get("status") or "").lower()
        error = row.get("error") or None
        out.append(
            {
                "message_id": row["message_id"],
                "created_at": row["created_at"],
                "model_id": row.get("model_id"),
                "query": row.get("query"),
                "answer": row.get("answer"),
                "language": row.get("language"),
                "language_confidence": row.get("language_confidence"),
                "labels": {
                    "topic": {"value": row.get("topic"), "confidence": row.get("topic_confidence")},
                    "intent": {
                        "value": row.get("intent"),
                        "confidence": row.get("intent_confidence"),
                    },
                    "sentiment": {
                        "value": row.get("sentiment"),
                        "score": row.get("sentiment_score"),
                    },
                    "answer_sentiment": {
                        "value": row.get("answer_sentiment"),
                        "score": row.get("answer_sentiment_score"),
                    },
                },
                "translation": {
                    "target_language": row.get("target_language"),
                    "query": row.get("query_translated"),
                    "answer": row.get("answer_translated"),
                    "status": row.get("translation_status"),
                },
                "latency_seconds": row.get("provider_response_latency"),
                "message_tokens": row.get("message_tokens"),
                "answer_tokens": row.get("answer_tokens"),
                "cost": row.get("total_price"),
                "currency": row.get("currency"),
                "error": error if (error or status == "error") else None,
                "is_error": status == "error" or bool(error and error.strip()),
            }
        )
    first = turns.row(0, named=True)
    return {
        "conversation_id": conversation_id,
        "app_id": first.get("app_id"),
        "user_key": users[0] if users else None,
        "days": days,
        "turn_count": len(out),
        "turns": out,
    }
