"""Message frames in, categorized frames and per-conversation category documents out (pure).

`categorize_messages` labels the user's `query` (topic, intent, sentiment) and the bot's
`answer` (sentiment) of every message row in one `categorize` call, adds the message's
language and a pseudonymous `user_key`, and returns exactly `CATEGORIZED_SCHEMA`.

`conversation_categories` rolls a day's messages up per conversation, the way the original
system stored labels in `conversation_categories`:

* every topic its messages carry (`other` only when nothing else was found), confidence = the
  best message confidence for that topic;
* the dominant intent: the most frequent one (ties: higher summed confidence), confidence = its
  mean message confidence;
* one overall sentiment from the summed positive (P) and negative (N) message scores with the
  original decision rule: positive if P > 1.2 N, negative if N > 1.1 P, else mixed if both are
  present, else neutral; confidence min(0.6 + 0.05 |P - N|, 0.95), 0.5 + 0.3 (1 - |P - N| /
  (P + N)) for mixed, 0.7 for neutral.

Documents are keyed `category_id = <conversation>_<type>_<value>`. A conversation that runs
past midnight is labelled in each day's partition from that day's messages; the partition
written last holds its documents (the key is unique across partitions).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from analytics_assets.defs.categorization.engine.engine import Categorizer
from analytics_assets.defs.categorization.language import (
    DetectionSettings,
    detect_message_languages,
)
from analytics_assets.privacy import pseudonymize
from analytics_assets.schemas import CATEGORIZED_SCHEMA, UTC_TS

INPUT_COLUMNS = (
    "id",
    "conversation_id",
    "app_id",
    "model_id",
    "from_end_user_id",
    "created_at",
    "query",
    "answer",
)

CATEGORY_DOC_SCHEMA = pl.Schema(
    {
        "category_id": pl.String(),
        "conversation_id": pl.String(),
        "category_type": pl.String(),
        "category_value": pl.String(),
        "confidence_score": pl.Float64(),
        "app_id": pl.String(),
        "model_id": pl.String(),
        "message_count": pl.Int64(),
        "created_at": UTC_TS,
        "created_by": pl.String(),
        "partition": pl.String(),
    }
)


def categorize_messages(
    messages: pl.DataFrame,
    categorizer: Categorizer,
    pseudonym_key: str,
    detection: DetectionSettings | None = None,
) -> pl.DataFrame:
    """One `CATEGORIZED_SCHEMA` row per message row, in input order.

    Queries and answers are scored in a single call (one tokenizer pass, shared batches).
    """
    missing = [c for c in INPUT_COLUMNS if c not in messages.columns]
    if missing:
        raise ValueError(f"messages frame lacks columns {missing}")
    n = messages.height
    if n == 0:
        return pl.DataFrame(schema=CATEGORIZED_SCHEMA)
    texts = pl.concat([messages["query"], messages["answer"]]).cast(pl.String)
    labels = categorizer.categorize(texts)
    query, answer = labels.head(n), labels.tail(n)
    languages = detect_message_languages(messages["query"], messages["answer"], detection)
    keyed = pseudonymize(
        messages.select(INPUT_COLUMNS), "from_end_user_id", pseudonym_key, "user_key"
    )
    out = pl.concat(
        [
            keyed.select(
                message_id="id",
                conversation_id="conversation_id",
                app_id="app_id",
                model_id="model_id",
                user_key="user_key",
                created_at="created_at",
            ),
            languages.select("language", "language_confidence"),
            query,
            answer.select(answer_sentiment="sentiment", answer_sentiment_score="sentiment_score"),
        ],
        how="horizontal",
    )
    return out.select([pl.col(c).cast(t) for c, t in CATEGORIZED_SCHEMA.items()])


def conversation_categories(
    categorized: pl.DataFrame, partition: str, created_at: datetime
) -> pl.DataFrame:
    """Per-conversation topic set, dominant intent and overall sentiment (`CATEGORY_DOC_SCHEMA`).

    See the module docstring for the rules; all group-bys in Polars.
    """
    if categorized.height == 0:
        return pl.DataFrame(schema=CATEGORY_DOC_SCHEMA)
    base = categorized.filter(pl.col("conversation_id").is_not_null())
    meta = base.group_by("conversation_id").agg(
        app_id=pl.col("app_id").drop_nulls().first(),
        model_id=pl.col("model_id").drop_nulls().first(),
        message_count=pl.len().cast(pl.Int64),
    )

    topics = base.group_by("conversation_id", "topic").agg(
        confidence_score=pl.col("topic_confidence").max().cast(pl.Float64)
    )
    has_real = topics.group_by("conversation_id").agg(real=(pl.col("topic") != "other").any())
    topics = (
        topics.join(has_real, on="conversation_id")
        .filter((pl.col("topic") != "other") | ~pl.col("real"))
        .select(
            "conversation_id",
            category_type=pl.lit("topic"),
            category_value="topic",
            confidence_score="confidence_score",
        )
    )

    intents = (
        base.group_by("conversation_id", "intent")
        .agg(
            n=pl.len(),
            conf_sum=pl.col("intent_confidence").sum(),
            confidence_score=pl.col("intent_confidence").mean().cast(pl.Float64),
        )
        .sort(["conversation_id", "n", "conf_sum", "intent"], descending=[False, True, True, False])
        .group_by("conversation_id", maintain_order=True)
        .first()
        .select(
            "conversation_id",
            category_type=pl.lit("intent"),
            category_value="intent",
            confidence_score="confidence_score",
        )
    )

    score = pl.col("sentiment_score").cast(pl.Float64).fill_null(0.0)
    p, n = pl.col("p"), pl.col("n")
    sentiment = (
        base.group_by("conversation_id")
        .agg(p=score.clip(lower_bound=0).sum(), n=(-score).clip(lower_bound=0).sum())
        .select(
            "conversation_id",
            category_type=pl.lit("sentiment"),
            category_value=pl.when(p > 1.2 * n)
            .then(pl.lit("positive"))
            .when(n > 1.1 * p)
            .then(pl.lit("negative"))
            .when((p > 0) & (n > 0))
            .then(pl.lit("mixed"))
            .otherwise(pl.lit("neutral")),
            confidence_score=pl.when((p > 1.2 * n) | (n > 1.1 * p))
            .then(pl.min_horizontal(0.6 + 0.05 * (p - n).abs(), pl.lit(0.95)))
            .when((p > 0) & (n > 0))
            .then(0.5 + 0.3 * (1 - (p - n).abs() / (p + n)))
            .otherwise(pl.lit(0.7)),
        )
    )

    docs = pl.concat([topics, intents, sentiment], how="vertical_relaxed").join(
        meta, on="conversation_id", how="left"
    )
    return (
        docs.with_columns(
            category_id=pl.concat_str(
                ["conversation_id", "category_type", "category_value"], separator="_"
            ),
            confidence_score=pl.col("confidence_score").clip(0.0, 1.0),
            created_at=pl.lit(created_at, dtype=UTC_TS),
            created_by=pl.lit("system"),
            partition=pl.lit(partition),
        )
        .select([pl.col(c).cast(t) for c, t in CATEGORY_DOC_SCHEMA.items()])
        .sort("category_id")
    )
