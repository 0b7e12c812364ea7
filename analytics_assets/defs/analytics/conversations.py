"""`conversation_analytics`: one row per conversation and UTC day with activity.

A conversation's row in `raw_conversations` sits in the partition of the day it was *created*,
which may be earlier than the day of some of its messages (a chat that runs past midnight, or is
picked up again days later). So every attribute here is taken from the day's **messages**
(app, model, user, times, figures) and from their labels; `raw_conversations` of the same day
only tells whether the conversation was created that day (`new_conversation`,
`conversation_created_at`). No window of earlier conversation partitions has to be read, and a
day's row never changes because another day was re-materialized.
"""

from __future__ import annotations

import polars as pl

from analytics_assets.defs.analytics.prepare import UNKNOWN

#: the columns of `conversation_analytics`, in order
CONVERSATION_COLUMNS = (
    "conversation_id",
    "date",
    "app_id",
    "model_id",
    "model_ids",
    "user_key",
    "first_message_at",
    "last_message_at",
    "duration_seconds",
    "message_count",
    "message_tokens",
    "answer_tokens",
    "total_tokens",
    "total_cost",
    "currency",
    "latency_mean",
    "latency_max",
    "error_count",
    "dominant_topic",
    "dominant_intent",
    "sentiment_start",
    "sentiment_end",
    "sentiment_score_start",
    "sentiment_score_end",
    "sentiment_trend",
    "languages",
    "conversation_created_at",
    "new_conversation",
)

# A change of the per-message sentiment score between the first and the last turn larger than
# this counts as a trend; smaller changes are "stable". Scores are in [-1, 1].
TREND_EPSILON = 0.1

CONVERSATION_KEY = ("conversation_id", "date")


def dominant(
    df: pl.DataFrame, keys: list[str], column: str, *, skip: str | None = None
) -> pl.DataFrame:
    """The most frequent value of `column` per `keys` (ties: alphabetical), as a frame.

    Values equal to `skip` (e.g. "unknown") only win when nothing else was seen.
    """
    counted = df.group_by([*keys, column]).len()
    order = [pl.col("len"), pl.col(column)]
    if skip is not None:
        counted = counted.with_columns((pl.col(column) != skip).alias("_known"))
        order = [pl.col("_known"), *order]
    ranked = counted.sort([*order], descending=[True] * (len(order) - 1) + [False], nulls_last=True)
    return ranked.group_by(keys, maintain_order=True).agg(pl.col(column).first())


def conversation_analytics(prepared: pl.DataFrame) -> pl.DataFrame:
    """Prepared messages (one day or several) → one row per (conversation_id, date).

    Sentiment at start/end is the label and score of the first/last turn of the day (ordered
    by `created_at`, then message id); the trend compares the two scores.
    """
    keys = list(CONVERSATION_KEY)
    ordered = prepared.sort(["conversation_id", "date", "created_at", "message_id"])
    figures = ordered.group_by(keys, maintain_order=True).agg(
        pl.col("app_id").drop_nulls().first().alias("app_id"),
        pl.col("model_id").drop_nulls().unique().sort().alias("model_ids"),
        pl.col("user_key").drop_nulls().first().alias("user_key"),
        pl.col("created_at").min().alias("first_message_at"),
        pl.col("created_at").max().alias("last_message_at"),
        pl.len().cast(pl.Int64).alias("message_count"),
        pl.col("message_tokens").sum().alias("message_tokens"),
        pl.col("answer_tokens").sum().alias("answer_tokens"),
        pl.col("total_tokens").sum().alias("total_tokens"),
        pl.col("total_cost").sum().alias("total_cost"),
        pl.col("currency").drop_nulls().first().alias("currency"),
        pl.col("latency").mean().alias("latency_mean"),
        pl.col("latency").max().alias("latency_max"),
        pl.col("is_error").sum().cast(pl.Int64).alias("error_count"),
        pl.col("sentiment").first().alias("sentiment_start"),
        pl.col("sentiment").last().alias("sentiment_end"),
        pl.col("sentiment_score").first().alias("sentiment_score_start"),
        pl.col("sentiment_score").last().alias("sentiment_score_end"),
        pl.col("language").filter(pl.col("language") != UNKNOWN).unique().sort().alias("languages"),
        pl.col("conversation_created_at").drop_nulls().first().alias("conversation_created_at"),
    )
    model = dominant(ordered, keys, "model_id")
    topic = dominant(ordered, keys, "topic", skip=UNKNOWN).rename({"topic": "dominant_topic"})
    intent = dominant(ordered, keys, "intent", skip=UNKNOWN).rename({"intent": "dominant_intent"})

    delta = pl.col("sentiment_score_end") - pl.col("sentiment_score_start")
    out = (
        figures.join(model, on=keys, how="left")
        .join(topic, on=keys, how="left")
        .join(intent, on=keys, how="left")
        .with_columns(
            (pl.col("last_message_at") - pl.col("first_message_at"))
            .dt.total_microseconds()
            .truediv(1_000_000)
            .alias("duration_seconds"),
            pl.when(delta.is_null())
            .then(pl.lit(None, dtype=pl.String))
            .when(delta > TREND_EPSILON)
            .then(pl.lit("improving"))
            .when(delta < -TREND_EPSILON)
            .then(pl.lit("worsening"))
            .otherwise(pl.lit("stable"))
            .alias("sentiment_trend"),
            # Created on the row's day: its raw_conversations row is in the same partition.
            (
                pl.col("conversation_created_at").is_not_null()
                & (pl.col("conversation_created_at").dt.date() == pl.col("date"))
            ).alias("new_conversation"),
        )
    )
    return out.select(CONVERSATION_COLUMNS).sort(["date", "first_message_at", "conversation_id"])


def to_mongo_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows → the `conversation_analytics` documents, as a frame for the repository's bulk
    `replace_partition` (keyed by `conversation_id` + `date`; `partition` = the day's key)."""
    return frame.with_columns(
        pl.col("date").dt.to_string("%Y-%m-%d").alias("partition"),
        pl.col("app_id").fill_null(UNKNOWN),
    )
