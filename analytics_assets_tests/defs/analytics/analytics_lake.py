"""A month of synthetic upstream partitions in the lake, for the analytics and report assets.

The upstream assets (`raw_messages`, `raw_conversations`, `categorized_messages`) are written
straight into the Parquet IO manager's layout (`<lake>/<asset>/date=YYYY-MM-DD/part-0.parquet`)
in their exact schemas, so the analytics assets run against the real IO manager and the real
MongoDB without depending on the ingestion and categorization stages. The data is random but
seeded, and shaped to hit the hard cases: conversations that run past midnight (their
`raw_conversations` row is in an earlier partition than some messages), users active on many
days, errors, missing latencies and tokens, messages without labels, a model name with a dot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from analytics_assets.schemas import RAW_CONVERSATIONS_SCHEMA, RAW_MESSAGES_SCHEMA, conform

START = date(2025, 1, 1)  # the first daily partition (PARTITIONS_START_DATE default)
DAYS = 31
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3.5-sonnet"]
APPS = ["app-a", "app-b"]
TOPICS = ["account", "pricing", "technical_issue", "feedback"]
INTENTS = ["question", "complaint", "request"]
SENTIMENTS = {"positive": 0.6, "neutral": 0.0, "negative": -0.7}
LANGUAGES = ["th", "en", "de"]


def day_keys() -> list[str]:
    return [(START + timedelta(days=i)).isoformat() for i in range(DAYS)]


def build(seed: int = 5, conversations_per_day: int = 14) -> dict[str, pl.DataFrame]:
    """Frames for every upstream asset, all days together (split by day when written)."""
    rng = np.random.default_rng(seed)
    n_conv = DAYS * conversations_per_day
    t0 = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    conv_start = np.sort(rng.integers(0, DAYS * 86_400 - 600, n_conv))
    conv_ids = [f"conv-{i:05d}" for i in range(n_conv)]
    conv_users = [f"user-{u:03d}" for u in rng.integers(0, 60, n_conv)]
    conv_app = rng.integers(0, len(APPS), n_conv)

    rows = []
    for i in range(n_conv):
        turns = int(rng.integers(1, 6))
        at = int(conv_start[i]) + 60
        for t in range(turns):
            if at >= DAYS * 86_400:
                break
            error = rng.random() < 0.05
            rows.append(
                {
                    "id": f"msg-{i:05d}-{t}",
                    "app_id": APPS[conv_app[i]],
                    "model_provider": "openai",
                    "model_id": MODELS[int(rng.integers(0, len(MODELS)))],
                    "conversation_id": conv_ids[i],
                    "inputs": '{"username": "private"}',
                    "query": f"question {t}",
                    "message": "[]",
                    "answer": "" if error else f"answer {t}",
                    "message_tokens": int(rng.integers(900, 1600)),
                    "answer_tokens": None if error else int(rng.integers(20, 400)),
                    "total_price": round(float(rng.uniform(0.0005, 0.02)), 6),
                    "currency": "USD",
                    "provider_response_latency": (
                        None if rng.random() < 0.08 else round(float(rng.gamma(2.0, 1.2)), 3)
                    ),
                    "from_source": "api",
                    "from_end_user_id": conv_users[i],
                    "created_at": t0 + timedelta(seconds=at),
                    "updated_at": t0 + timedelta(seconds=at),
                    "status": "error" if error else "normal",
                    "error": "provider timeout" if error else None,
                }
            )
            # Mostly quick turns, sometimes a long pause (new session, maybe the next day).
            at += (
                int(rng.integers(20, 600))
                if rng.random() < 0.8
                else int(rng.integers(1_800, 30_000))
            )
    messages = conform(
        pl.DataFrame(rows, infer_schema_length=None).with_columns(
            pl.col("created_at", "updated_at").cast(pl.Datetime("us", "UTC"))
        ),
        RAW_MESSAGES_SCHEMA,
    ).sort(["created_at", "id"])

    conversations = conform(
        pl.DataFrame(
            {
                "id": conv_ids,
                "app_id": [APPS[a] for a in conv_app],
                "model_provider": ["openai"] * n_conv,
                "model_id": ["gpt-4o"] * n_conv,
                "inputs": ['{"username": "private"}'] * n_conv,
                "from_end_user_id": conv_users,
                "created_at": [t0 + timedelta(seconds=int(s)) for s in conv_start],
                "updated_at": [t0 + timedelta(seconds=int(s)) for s in conv_start],
                "status": ["normal"] * n_conv,
            }
        ).with_columns(pl.col("created_at", "updated_at").cast(pl.Datetime("us", "UTC"))),
        RAW_CONVERSATIONS_SCHEMA,
    ).sort(["created_at", "id"])

    n = messages.height
    labeled = rng.random(n) > 0.05  # some messages were not categorized
    sentiment = [list(SENTIMENTS)[k] for k in rng.integers(0, len(SENTIMENTS), n)]
    categorized = pl.DataFrame(
        {
            "message_id": messages["id"],
            "conversation_id": messages["conversation_id"],
            "app_id": messages["app_id"],
            "model_id": messages["model_id"],
            "user_key": ["(not used by analytics)"] * n,
            "created_at": messages["created_at"],
            "language": [LANGUAGES[k] for k in rng.integers(0, len(LANGUAGES), n)],
            "language_confidence": rng.uniform(0.5, 1.0, n),
            "topic": [TOPICS[k] for k in rng.integers(0, len(TOPICS), n)],
            "topic_confidence": rng.uniform(0.5, 1.0, n),
            "intent": [INTENTS[k] for k in rng.integers(0, len(INTENTS), n)],
            "intent_confidence": rng.uniform(0.5, 1.0, n),
            "sentiment": sentiment,
            "sentiment_score": [SENTIMENTS[s] for s in sentiment],
            "answer_sentiment": ["neutral"] * n,
            "answer_sentiment_score": [0.0] * n,
        }
    ).filter(pl.Series(labeled))
    return {
        "raw_messages": messages,
        "raw_conversations": conversations,
        "categorized_messages": categorized,
    }


def write_lake(lake: Path, frames: dict[str, pl.DataFrame]) -> None:
    """One Parquet file per asset and day, in the IO manager's layout (empty days included)."""
    for asset_name, frame in frames.items():
        day = pl.col("created_at").dt.date()
        for key in day_keys():
            part = frame.filter(day == date.fromisoformat(key))
            target = lake / asset_name / f"date={key}" / "part-0.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            part.write_parquet(target)
