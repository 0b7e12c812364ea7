"""`user_analytics`: cumulative per-user state, advanced one UTC day at a time.

The system this replaces kept user totals with `+=` in MongoDB, so every re-run of a day added
the day again. Here the state of day D is a pure function of the state of day D-1 and the rows
of day D:

    state(D) = advance_state(state(D-1), messages(D), conversations(D), D)

The asset depends on its own previous partition (`TimeWindowPartitionMapping(start_offset=-1,
end_offset=-1)`), so re-running day D recomputes the same state from the same inputs: nothing
is counted twice. Every day's partition holds the full state of all users seen up to that day
(`as_of` = the day), and MongoDB gets the rows of the users active that day.

Definitions:
* `conversations`: conversations the user started (rows of `raw_conversations`, counted on the
  day they were created, so a conversation that runs past midnight counts once).
* `messages`, tokens, cost: the user's turns in `raw_messages`.
* `active_days`: days with at least one message.
* `sessions`: a new session starts at a message that comes more than `gap_minutes` after the
  user's previous message (also across midnight, through `last_seen` of the previous state).
* `mean_sentiment`: mean of the per-message `sentiment_score` over labeled messages, kept as a
  running sum and count so it stays exact.
* `top_topics`: the three most frequent topics over all of the user's labeled messages.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics_assets.defs.analytics.prepare import UNKNOWN
from analytics_assets.schemas import UTC_TS

# A new session starts after this much silence (minutes); `SESSION_GAP_MINUTES` overrides it.
DEFAULT_SESSION_GAP_MINUTES = 30
TOP_TOPICS = 3

TOPIC_COUNT = pl.Struct({"topic": pl.String(), "messages": pl.Int64()})

USER_STATE_SCHEMA = pl.Schema(
    {
        "user_key": pl.String(),
        "as_of": pl.Date(),
        "first_seen": UTC_TS,
        "last_seen": UTC_TS,
        "active_today": pl.Boolean(),
        "conversations": pl.Int64(),
        "messages": pl.Int64(),
        "active_days": pl.Int64(),
        "sessions": pl.Int64(),
        "message_tokens": pl.Int64(),
        "answer_tokens": pl.Int64(),
        "total_tokens": pl.Int64(),
        "total_cost": pl.Float64(),
        "sentiment_sum": pl.Float64(),
        "sentiment_count": pl.Int64(),
        "mean_sentiment": pl.Float64(),
        "topic_counts": pl.List(TOPIC_COUNT),
        "top_topics": pl.List(pl.String()),
    }
)

_COUNTERS = (
    "conversations",
    "messages",
    "active_days",
    "sessions",
    "message_tokens",
    "answer_tokens",
    "total_tokens",
    "sentiment_count",
)


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=USER_STATE_SCHEMA)


def _day_activity(messages: pl.DataFrame, previous: pl.DataFrame, gap_minutes: int) -> pl.DataFrame:
    """Per user: today's messages, sessions started today, figures, sentiment sum/count."""
    msgs = messages.filter(pl.col("user_key").is_not_null()).sort(
        ["user_key", "created_at", "message_id"]
    )
    last_seen = previous.select("user_key", pl.col("last_seen").alias("_prev_seen"))
    msgs = msgs.join(last_seen, on="user_key", how="left")
    before = pl.col("created_at").shift(1).over("user_key")
    before = pl.coalesce(before, pl.col("_prev_seen"))
    starts = before.is_null() | ((pl.col("created_at") - before) > pl.duration(minutes=gap_minutes))
    labeled = pl.col("sentiment_score").is_not_null() & (pl.col("sentiment") != UNKNOWN)
    return (
        msgs.with_columns(starts.alias("_new_session"))
        .group_by("user_key")
        .agg(
            pl.col("created_at").min().alias("_first"),
            pl.col("created_at").max().alias("_last"),
            pl.len().cast(pl.Int64).alias("messages"),
            pl.col("_new_session").sum().cast(pl.Int64).alias("sessions"),
            pl.col("message_tokens").sum().alias("message_tokens"),
            pl.col("answer_tokens").sum().alias("answer_tokens"),
            pl.col("total_tokens").sum().alias("total_tokens"),
            pl.col("total_cost").sum().alias("total_cost"),
            pl.col("sentiment_score").filter(labeled).sum().alias("sentiment_sum"),
            labeled.sum().cast(pl.Int64).alias("sentiment_count"),
            pl.lit(1, dtype=pl.Int64).alias("active_days"),
        )
    )


def _topics(previous: pl.DataFrame, messages: pl.DataFrame) -> pl.DataFrame:
    """Merged topic counts per user and the top topics (ties alphabetical)."""
    old = (
        previous.select("user_key", "topic_counts")
        .explode("topic_counts")
        .filter(pl.col("topic_counts").is_not_null())
        .unnest("topic_counts")
    )
    new = (
        messages.filter(pl.col("user_key").is_not_null() & (pl.col("topic") != UNKNOWN))
        .group_by("user_key", "topic")
        .agg(pl.len().cast(pl.Int64).alias("messages"))
    )
    merged = (
        pl.concat([old.select("user_key", "topic", "messages"), new], how="vertical")
        .group_by("user_key", "topic")
        .agg(pl.col("messages").sum())
        .sort(["user_key", "messages", "topic"], descending=[False, True, False])
    )
    return merged.group_by("user_key", maintain_order=True).agg(
        pl.struct("topic", "messages").alias("topic_counts"),
        pl.col("topic").head(TOP_TOPICS).alias("top_topics"),
    )


def advance_state(
    previous: pl.DataFrame,
    messages: pl.DataFrame,
    conversations: pl.DataFrame,
    day: date,
    gap_minutes: int = DEFAULT_SESSION_GAP_MINUTES,
) -> pl.DataFrame:
    """state(day-1) + rows of `day` → state(day), in `USER_STATE_SCHEMA`.

    `messages`: prepared messages of the day (`analytics.prepare`); `conversations`: the day's
    new conversations as (`conversation_id`, `user_key`). Deterministic: same inputs, same state.
    """
    previous = previous.select(list(USER_STATE_SCHEMA.names()))
    activity = _day_activity(messages, previous, gap_minutes)
    started = (
        conversations.filter(pl.col("user_key").is_not_null())
        .group_by("user_key")
        .agg(pl.col("conversation_id").n_unique().cast(pl.Int64).alias("conversations"))
    )
    today = activity.join(started, on="user_key", how="full", coalesce=True)

    merged = previous.join(today, on="user_key", how="full", coalesce=True, suffix="_today")
    counters = [
        (pl.col(c).fill_null(0) + pl.col(f"{c}_today").fill_null(0)).alias(c) for c in _COUNTERS
    ]
    merged = merged.with_columns(
        *counters,
        (pl.col("total_cost").fill_null(0.0) + pl.col("total_cost_today").fill_null(0.0)).alias(
            "total_cost"
        ),
        (
            pl.col("sentiment_sum").fill_null(0.0) + pl.col("sentiment_sum_today").fill_null(0.0)
        ).alias("sentiment_sum"),
        pl.min_horizontal("first_seen", "_first").alias("first_seen"),
        pl.max_horizontal("last_seen", "_last").alias("last_seen"),
        pl.col("messages_today").fill_null(0).gt(0).alias("active_today"),
        pl.lit(day, dtype=pl.Date).alias("as_of"),
    ).with_columns(
        pl.when(pl.col("sentiment_count") > 0)
        .then(pl.col("sentiment_sum") / pl.col("sentiment_count"))
        .otherwise(None)
        .alias("mean_sentiment"),
    )
    topics = _topics(previous, messages)
    state = merged.drop("topic_counts", "top_topics").join(topics, on="user_key", how="left")
    state = state.with_columns(
        pl.col("topic_counts").fill_null(pl.lit([], dtype=pl.List(TOPIC_COUNT))),
        pl.col("top_topics").fill_null(pl.lit([], dtype=pl.List(pl.String()))),
    )
    return state.select([pl.col(c).cast(t) for c, t in USER_STATE_SCHEMA.items()]).sort("user_key")


def to_mongo_frame(state: pl.DataFrame) -> pl.DataFrame:
    """State rows → `user_analytics` documents (`_id` = `user_key`, set by the repository).

    The collection's indexed fields use the reference's names (`total_conversations`,
    `total_messages`, `total_price`, `first/last_conversation_at`); the running sentiment sum
    stays in Parquet only.
    """
    return (
        state.drop("sentiment_sum")
        .rename(
            {
                "conversations": "total_conversations",
                "messages": "total_messages",
                "total_cost": "total_price",
            }
        )
        .with_columns(
            pl.col("first_seen").alias("first_conversation_at"),
            pl.col("last_seen").alias("last_conversation_at"),
        )
    )
