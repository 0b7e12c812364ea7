"""Small hand-built frames in the exact raw/categorized schemas, for the analytics tests.

Each message is given as a short tuple so a test reads like a transcript; the helpers fill the
other columns of `RAW_MESSAGES_SCHEMA` / `RAW_CONVERSATIONS_SCHEMA` with plausible values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from analytics_assets.schemas import RAW_CONVERSATIONS_SCHEMA, RAW_MESSAGES_SCHEMA, conform

KEY = "test-pseudonym-key"


def ts(text: str) -> datetime:
    """`"2025-03-03 10:00"` → aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Msg:
    id: str
    conversation_id: str
    user: str | None
    at: str
    message_tokens: int | None = 100
    answer_tokens: int | None = 50
    price: float | None = 0.001
    latency: float | None = 1.0
    app: str = "app-a"
    model: str = "gpt-4o"
    status: str = "normal"
    error: str | None = None
    topic: str | None = "account"
    intent: str | None = "question"
    sentiment: str | None = "neutral"
    score: float | None = 0.0
    language: str | None = "en"


def raw_messages(msgs: list[Msg]) -> pl.DataFrame:
    rows = [
        {
            "id": m.id,
            "app_id": m.app,
            "model_provider": "openai",
            "model_id": m.model,
            "conversation_id": m.conversation_id,
            "inputs": '{"username": "secret-name"}',
            "query": f"query {m.id}",
            "message": "[]",
            "answer": f"answer {m.id}",
            "message_tokens": m.message_tokens,
            "answer_tokens": m.answer_tokens,
            "total_price": m.price,
            "currency": "USD",
            "provider_response_latency": m.latency,
            "from_source": "api",
            "from_end_user_id": m.user,
            "created_at": ts(m.at),
            "updated_at": ts(m.at),
            "status": m.status,
            "error": m.error,
        }
        for m in msgs
    ]
    frame = pl.DataFrame(
        rows,
        schema_overrides={
            "created_at": pl.Datetime("us", "UTC"),
            "updated_at": pl.Datetime("us", "UTC"),
        },
        infer_schema_length=None,
    )
    return conform(frame, RAW_MESSAGES_SCHEMA)


def categorized(msgs: list[Msg], key: str = KEY) -> pl.DataFrame:
    """The `categorized_messages` columns of docs/architecture.md for these messages."""
    from analytics_assets.privacy import pseudonym

    return pl.DataFrame(
        {
            "message_id": [m.id for m in msgs],
            "conversation_id": [m.conversation_id for m in msgs],
            "app_id": [m.app for m in msgs],
            "model_id": [m.model for m in msgs],
            "user_key": [pseudonym(m.user, key) for m in msgs],
            "created_at": [ts(m.at) for m in msgs],
            "language": [m.language for m in msgs],
            "language_confidence": [0.9] * len(msgs),
            "topic": [m.topic for m in msgs],
            "topic_confidence": [0.8] * len(msgs),
            "intent": [m.intent for m in msgs],
            "intent_confidence": [0.8] * len(msgs),
            "sentiment": [m.sentiment for m in msgs],
            "sentiment_score": [m.score for m in msgs],
            "answer_sentiment": ["neutral"] * len(msgs),
            "answer_sentiment_score": [0.0] * len(msgs),
        },
        schema_overrides={
            "created_at": pl.Datetime("us", "UTC"),
            "language": pl.String,
            "topic": pl.String,
            "intent": pl.String,
            "sentiment": pl.String,
            "sentiment_score": pl.Float64,
            "user_key": pl.String,
        },
    )


def raw_conversations(convs: list[tuple[str, str | None, str]]) -> pl.DataFrame:
    """(id, user, created_at) → `RAW_CONVERSATIONS_SCHEMA` rows."""
    frame = pl.DataFrame(
        {
            "id": [c[0] for c in convs],
            "app_id": ["app-a"] * len(convs),
            "model_id": ["gpt-4o"] * len(convs),
            "from_end_user_id": [c[1] for c in convs],
            "inputs": ['{"username": "secret-name"}'] * len(convs),
            "created_at": [ts(c[2]) for c in convs],
            "updated_at": [ts(c[2]) for c in convs],
        },
        schema_overrides={
            "created_at": pl.Datetime("us", "UTC"),
            "updated_at": pl.Datetime("us", "UTC"),
            "from_end_user_id": pl.String,
        },
    )
    return conform(frame, RAW_CONVERSATIONS_SCHEMA)
