"""`model_performance`: per day, app and model: volume, errors, latency, tokens, cost, and how
users react to the answers.

"Reaction" is the share of negative sentiment in the user's *next* message of the same
conversation: a turn's answer is judged by the turn that follows it. The next turn is looked up
within the same UTC day (the partition), so a day's figures depend only on that day's rows; the
last turn of a conversation on a day has no next turn and is left out of the share's
denominator, as are next turns without a sentiment label.
"""

from __future__ import annotations

import polars as pl

from analytics_assets.defs.analytics.prepare import UNKNOWN

MODEL_KEY = ("date", "app_id", "model_id")
NEGATIVE = "negative"


def quantile(column: str, q: float) -> pl.Expr:
    """Linear interpolation between order statistics over the non-null values."""
    return pl.col(column).quantile(q, interpolation="linear")


def model_performance(prepared: pl.DataFrame) -> pl.DataFrame:
    """Prepared messages → one row per (date, app_id, model_id)."""
    turns = prepared.sort(["conversation_id", "date", "created_at", "message_id"]).with_columns(
        pl.col("sentiment").shift(-1).over("conversation_id", "date").alias("next_sentiment")
    )
    judged = pl.col("next_sentiment").is_not_null() & (pl.col("next_sentiment") != UNKNOWN)
    out = (
        turns.with_columns(
            pl.col("app_id").fill_null(UNKNOWN),
            pl.col("model_id").fill_null(UNKNOWN),
        )
        .group_by(list(MODEL_KEY))
        .agg(
            pl.col("model_provider").drop_nulls().first().alias("model_provider"),
            pl.len().cast(pl.Int64).alias("messages"),
            pl.col("conversation_id").n_unique().cast(pl.Int64).alias("conversations"),
            pl.col("is_error").sum().cast(pl.Int64).alias("error_messages"),
            pl.col("latency").count().cast(pl.Int64).alias("latency_samples"),
            quantile("latency", 0.50).alias("latency_p50"),
            quantile("latency", 0.95).alias("latency_p95"),
            quantile("latency", 0.99).alias("latency_p99"),
            pl.col("message_tokens").sum().alias("tokens_in"),
            pl.col("answer_tokens").sum().alias("tokens_out"),
            pl.col("total_tokens").sum().alias("total_tokens"),
            pl.col("total_cost").sum().alias("total_cost"),
            pl.col("currency").drop_nulls().first().alias("currency"),
            judged.sum().cast(pl.Int64).alias("next_turns_judged"),
            (judged & (pl.col("next_sentiment") == NEGATIVE))
            .sum()
            .cast(pl.Int64)
            .alias("next_turns_negative"),
        )
        .with_columns(
            (pl.col("error_messages") / pl.col("messages")).alias("error_rate"),
            pl.when(pl.col("total_tokens") > 0)
            .then(pl.col("total_cost") / pl.col("total_tokens") * 1000.0)
            .otherwise(None)
            .alias("cost_per_1k_tokens"),
            pl.when(pl.col("next_turns_judged") > 0)
            .then(pl.col("next_turns_negative") / pl.col("next_turns_judged"))
            .otherwise(None)
            .alias("next_turn_negative_share"),
        )
    )
    return out.select(
        *MODEL_KEY,
        "model_provider",
        "messages",
        "conversations",
        "error_messages",
        "error_rate",
        "latency_samples",
        "latency_p50",
        "latency_p95",
        "latency_p99",
        "tokens_in",
        "tokens_out",
        "total_tokens",
        "total_cost",
        "currency",
        "cost_per_1k_tokens",
        "next_turns_judged",
        "next_turns_negative",
        "next_turn_negative_share",
    ).sort(list(MODEL_KEY))
