"""One analytics-ready frame per message: the shared first step of every analytics output.

Every analytics asset (conversations, users, models, reports) starts from the same view of a
message: raw figures from `raw_messages`, the pseudonymous `user_key` instead of the raw user id,
the labels from `categorized_messages`, and the conversation's creation time from
`raw_conversations`. Building that view once, in one place, keeps the definitions (what is an
error, what counts as a token, what an unlabeled message is called) identical everywhere, so the
report totals reconcile with the per-conversation and per-model rows.
"""

from __future__ import annotations

import polars as pl

from analytics_assets.privacy import pseudonymize
from analytics_assets.schemas import (
    RAW_CONVERSATIONS_SCHEMA,
    RAW_MESSAGES_SCHEMA,
    UTC_TS,
    load_columns,
)

# Label used when a message has no label (categorization missing or failed for that row), so
# that the `by_*` breakdowns always add up to the message count.
UNKNOWN = "unknown"

# Columns of the prepared frame (the contract between this module and the analytics modules).
PREPARED_SCHEMA = pl.Schema(
    {
        "message_id": pl.String(),
        "conversation_id": pl.String(),
        "app_id": pl.String(),
        "model_provider": pl.String(),
        "model_id": pl.String(),
        "user_key": pl.String(),
        "created_at": UTC_TS,
        "date": pl.Date(),
        "message_tokens": pl.Int64(),
        "answer_tokens": pl.Int64(),
        "total_tokens": pl.Int64(),
        "total_cost": pl.Float64(),
        "currency": pl.String(),
        "latency": pl.Float64(),
        "is_error": pl.Boolean(),
        "conversation_created_at": UTC_TS,
        "language": pl.String(),
        "topic": pl.String(),
        "intent": pl.String(),
        "sentiment": pl.String(),
        "sentiment_score": pl.Float64(),
    }
)

LABEL_COLUMNS = ("language", "topic", "intent", "sentiment")

# The columns of the inputs that analytics read: assets scan only these from Parquet (the raw
# rows also carry the whole prompt history in `message`, which analytics never needs).
RAW_MESSAGE_COLUMNS = (
    "id",
    "conversation_id",
    "app_id",
    "model_provider",
    "model_id",
    "from_end_user_id",
    "created_at",
    "message_tokens",
    "answer_tokens",
    "total_price",
    "currency",
    "provider_response_latency",
    "status",
    "error",
)
RAW_CONVERSATION_COLUMNS = ("id", "from_end_user_id", "created_at")
CATEGORIZED_COLUMNS = ("message_id", "language", "topic", "intent", "sentiment", "sentiment_score")

_CATEGORIZED_COLUMNS = {
    "language": pl.String(),
    "topic": pl.String(),
    "intent": pl.String(),
    "sentiment": pl.String(),
    "sentiment_score": pl.Float64(),
}


def error_expr() -> pl.Expr:
    """A message is an error when Dify marked it so (`status == "error"`) or carries error text.

    Dify writes `status="error"` with the provider's message in `error`; older rows only have
    the text. Either is enough.
    """
    status_error = pl.col("status").fill_null("").str.to_lowercase() == "error"
    has_text = pl.col("error").fill_null("").str.strip_chars() != ""
    return (status_error | has_text).alias("is_error")


def prepare_messages(
    raw_messages: pl.DataFrame,
    categorized: pl.DataFrame | None,
    raw_conversations: pl.DataFrame | None,
    pseudonym_key: str,
) -> pl.DataFrame:
    """`raw_messages` (+ labels, + conversation creation time) → `PREPARED_SCHEMA`.

    * `user_key` is the keyed hash of `from_end_user_id`; the raw id and `inputs` are dropped.
    * Tokens and cost are null-safe: a missing count is 0 (Dify leaves them empty on errors),
      so sums over rows and sums over groups are the same numbers.
    * Labels come from `categorized_messages` by message id; a message without a label gets
      `UNKNOWN` (nothing is dropped, and breakdowns add up to the message count).
    * `conversation_created_at` comes from the `raw_conversations` rows that were loaded (the
      same day or period); it is null when the conversation was created before them.
    """
    keyed = pseudonymize(raw_messages, "from_end_user_id", pseudonym_key, "user_key")
    base = keyed.select(
        pl.col("id").alias("message_id"),
        "conversation_id",
        "app_id",
        "model_provider",
        "model_id",
        "user_key",
        "created_at",
        pl.col("created_at").dt.date().alias("date"),
        pl.col("message_tokens").fill_null(0),
        pl.col("answer_tokens").fill_null(0),
        (pl.col("message_tokens").fill_null(0) + pl.col("answer_tokens").fill_null(0)).alias(
            "total_tokens"
        ),
        pl.col("total_price").fill_null(0.0).alias("total_cost"),
        "currency",
        pl.col("provider_response_latency").alias("latency"),
        error_expr(),
    )

    if raw_conversations is not None and raw_conversations.height:
        created = raw_conversations.select(
            pl.col("id").alias("conversation_id"),
            pl.col("created_at").alias("conversation_created_at"),
        ).unique(subset=["conversation_id"], keep="first")
        base = base.join(created, on="conversation_id", how="left", maintain_order="left")
    else:
        base = base.with_columns(pl.lit(None, dtype=UTC_TS).alias("conversation_created_at"))

    if categorized is not None and categorized.height:
        labels = categorized.select(
            "message_id",
            *[
                (pl.col(c).cast(t) if c in categorized.columns else pl.lit(None, dtype=t)).alias(c)
                for c, t in _CATEGORIZED_COLUMNS.items()
            ],
        ).unique(subset=["message_id"], keep="first")
        base = base.join(labels, on="message_id", how="left", maintain_order="left")
    else:
        base = base.with_columns(
            [pl.lit(None, dtype=t).alias(c) for c, t in _CATEGORIZED_COLUMNS.items()]
        )

    base = base.with_columns([pl.col(c).fill_null(UNKNOWN) for c in LABEL_COLUMNS])
    return base.select([pl.col(c).cast(t) for c, t in PREPARED_SCHEMA.items()])


def load_prepared(
    raw_messages: pl.LazyFrame | pl.DataFrame,
    raw_conversations: pl.LazyFrame | pl.DataFrame,
    categorized_messages: pl.LazyFrame | pl.DataFrame,
    pseudonym_key: str,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Raw messages and conversations (only the columns analytics read), and the prepared view,
    for the loaded days; days with nothing stored load as empty frames in the raw schemas."""
    messages = load_columns(raw_messages, RAW_MESSAGE_COLUMNS, RAW_MESSAGES_SCHEMA)
    conversations = load_columns(
        raw_conversations, RAW_CONVERSATION_COLUMNS, RAW_CONVERSATIONS_SCHEMA
    )
    labels = load_columns(
        categorized_messages,
        CATEGORIZED_COLUMNS,
        {"message_id": pl.String(), **_CATEGORIZED_COLUMNS},
    )
    prepared = prepare_messages(messages, labels, conversations, pseudonym_key)
    return messages, conversations, prepared
