"""`conversation_analytics`, `user_analytics`, `model_performance`: thin daily assets.

Each asset scans the columns it needs from its daily inputs (Parquet, lazily), builds the
prepared message view (`analytics.prepare`), calls one pure function from `analytics/`, and
yields its checks (`checks/analytics.py`) on the frames it just built.
All three are `BackfillPolicy.single_run()`: a range run processes every day of the range in one
process and returns one frame that the Parquet IO manager splits by the `partition_expr` column.
`automation.FOLLOW_UPSTREAM` (eager, for any day, not only the latest) keeps them following
ingestion and categorization, also when an old day is re-ingested or retried; for
`user_analytics` that re-run then walks forward day by day, since each day depends on the one
before. Their MongoDB documents are written downstream by the serving assets
(`defs/serving/`), so these steps never wait on MongoDB.
"""

import time
from collections.abc import Iterator
from datetime import date, timedelta

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    BackfillPolicy,
    MetadataValue,
    Output,
    TimeWindowPartitionMapping,
    asset,
)

from analytics_assets.automation import FOLLOW_UPSTREAM
from analytics_assets.defs.analytics.check_results import check_result, standard_checks
from analytics_assets.defs.analytics.checks import (
    CheckOutcome,
    conversations_cover_messages,
    model_rows_reconcile,
    non_negative,
    unique_keys,
)
from analytics_assets.defs.analytics.conversations import (
    conversation_analytics as build_conversations,
)
from analytics_assets.defs.analytics.models import model_performance as build_models
from analytics_assets.defs.analytics.prepare import (
    load_prepared,
)
from analytics_assets.defs.analytics.users import (
    advance_state,
    empty_state,
)
from analytics_assets.markdown import markdown_table
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.privacy import pseudonymize
from analytics_assets.settings import get_settings
from analytics_assets.storage.partition_figures import add_partition_figures, figures_per_day

ANALYTICS_GROUP = "analytics"
FIGURE_COLUMNS = (
    "message_count",
    "messages",
    "message_tokens",
    "answer_tokens",
    "total_tokens",
    "tokens_in",
    "tokens_out",
    "total_cost",
    "error_count",
    "error_messages",
    "conversations",
    "sessions",
    "active_days",
)
# Daily inputs, read for the same day(s) as the output partition(s).
DAILY_INS = {
    "raw_messages": AssetIn("raw_messages"),
    "raw_conversations": AssetIn("raw_conversations"),
    "categorized_messages": AssetIn("categorized_messages"),
}


def timings(started: float, computed: float) -> dict[str, float]:
    """Where the step's time went: reading + computing (read by people and by
    benchmarks/graph_1m.py; the Parquet write follows in the IO manager)."""
    return {"compute_seconds": round(computed - started, 3)}


def _cell(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:,.4f}" if isinstance(value, float) else f"{value:,}"


def per_day(
    context: AssetExecutionContext, frame: pl.DataFrame, column: str, figures: dict[str, pl.Expr]
) -> MetadataValue:
    """Each day's `figures` on that day's materialization event, and every day of the run as
    one Markdown table for the run's own metadata (computed once for both)."""
    days = figures_per_day(frame, column, figures, context.partition_keys)
    add_partition_figures(context, days)
    return MetadataValue.md(
        markdown_table(
            ["day", *figures],
            ([key, *(_cell(values.get(name)) for name in figures)] for key, values in days.items()),
        )
    )


# -- conversation_analytics -------------------------------------------------------------------


@asset(
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    automation_condition=FOLLOW_UPSTREAM,
    group_name=ANALYTICS_GROUP,
    ins=DAILY_INS,
    metadata={"partition_expr": "date"},
    check_specs=standard_checks(
        "conversation_analytics",
        [
            (
                "covers_raw_messages",
                "Every conversation seen in raw_messages that day has its row, and the rows "
                "hold every message.",
            )
        ],
    ),
    kinds={"polars", "parquet"},
)
def conversation_analytics(
    context: AssetExecutionContext,
    raw_messages: pl.LazyFrame,
    raw_conversations: pl.LazyFrame,
    categorized_messages: pl.LazyFrame,
) -> Iterator[Output | AssetCheckResult]:
    """One row per conversation and UTC day with activity: app, models, pseudonymous user,
    first/last message, duration, messages, tokens, cost, latency, errors, dominant topic and
    intent, sentiment at start/end and its trend, languages. Parquet (the MongoDB documents:
    `serving_conversation_analytics`)."""
    started = time.perf_counter()
    messages, _, prepared = load_prepared(
        raw_messages, raw_conversations, categorized_messages, get_settings().pseudonym_key
    )
    rows = build_conversations(prepared)
    computed = time.perf_counter()
    day_figures = per_day(
        context,
        rows,
        "date",
        {
            "conversations": pl.len(),
            "messages": pl.col("message_count").sum(),
            "new_conversations": pl.col("new_conversation").sum(),
            "errors": pl.col("error_count").sum(),
            "total_cost": pl.col("total_cost").sum(),
            "mean_duration_s": pl.col("duration_seconds").mean(),
        },
    )
    yield Output(
        rows,
        metadata={
            **timings(started, computed),
            "conversations": rows.height,
            "messages": int(rows["message_count"].sum()) if rows.height else 0,
            "new_conversations": int(rows["new_conversation"].sum()) if rows.height else 0,
            "per_day": day_figures,
        },
    )
    name = "conversation_analytics"
    yield check_result("unique_keys", unique_keys(rows, ["conversation_id", "date"]), name)
    yield check_result("no_negative_figures", non_negative(rows, FIGURE_COLUMNS), name)
    yield check_result("covers_raw_messages", conversations_cover_messages(rows, messages), name)


# -- model_performance --------------------------------------------------------------------------


@asset(
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    automation_condition=FOLLOW_UPSTREAM,
    group_name=ANALYTICS_GROUP,
    ins=DAILY_INS,
    metadata={"partition_expr": "date"},
    check_specs=standard_checks(
        "model_performance",
        [
            (
                "reconciles_with_raw_messages",
                "Messages, tokens in/out and cost per model add up to the raw rows.",
            )
        ],
    ),
    kinds={"polars", "parquet"},
)
def model_performance(
    context: AssetExecutionContext,
    raw_messages: pl.LazyFrame,
    raw_conversations: pl.LazyFrame,
    categorized_messages: pl.LazyFrame,
) -> Iterator[Output | AssetCheckResult]:
    """Per day, app and model: messages, error rate, latency p50/p95/p99, tokens in/out, cost,
    cost per 1k tokens, and the share of negative sentiment in the user's next turn."""
    messages, _, prepared = load_prepared(
        raw_messages, raw_conversations, categorized_messages, get_settings().pseudonym_key
    )
    rows = build_models(prepared)
    table = rows.select(
        "date",
        "app_id",
        "model_id",
        "messages",
        pl.col("error_rate").round(4),
        pl.col("latency_p50").round(3),
        pl.col("latency_p95").round(3),
        pl.col("latency_p99").round(3),
        pl.col("total_cost").round(4),
        pl.col("cost_per_1k_tokens").round(5),
        pl.col("next_turn_negative_share").round(4),
    )
    add_partition_figures(
        context,
        figures_per_day(
            rows,
            "date",
            {
                "models": pl.struct("app_id", "model_id").n_unique(),
                "messages": pl.col("messages").sum(),
            },
            context.partition_keys,
        ),
    )
    yield Output(
        rows,
        metadata={
            "models": rows.select("app_id", "model_id").unique().height,
            "messages": int(rows["messages"].sum()) if rows.height else 0,
            "figures": MetadataValue.md(_markdown(table)),
        },
    )
    name = "model_performance"
    yield check_result("unique_keys", unique_keys(rows, ["date", "app_id", "model_id"]), name)
    yield check_result("no_negative_figures", non_negative(rows, FIGURE_COLUMNS), name)
    yield check_result("reconciles_with_raw_messages", model_rows_reconcile(rows, messages), name)


def _markdown(frame: pl.DataFrame, rows: int = 50) -> str:
    with pl.Config(
        tbl_formatting="ASCII_MARKDOWN",
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_rows=rows,
        tbl_cols=-1,
        tbl_width_chars=10_000,
    ):
        return str(frame.head(rows))


# -- user_analytics ----------------------------------------------------------------------------

# The state of the day before: the asset's own previous partition. Missing partitions are
# allowed so a range run (which maps to the previous day of *every* day in the range, most not
# written yet) loads what exists; the asset only uses the state of the day before the range.
PREVIOUS_DAY = TimeWindowPartitionMapping(
    start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
)


@asset(
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    automation_condition=FOLLOW_UPSTREAM,
    group_name=ANALYTICS_GROUP,
    ins={
        **DAILY_INS,
        "previous_state": AssetIn(
            "user_analytics",
            partition_mapping=PREVIOUS_DAY,
            metadata={"allow_missing_partitions": True},
        ),
    },
    metadata={"partition_expr": "as_of"},
    check_specs=standard_checks(
        "user_analytics",
        [
            (
                "state_is_continuous",
                "The state of the day before was found (or this is the first day, or no "
                "earlier day was ingested): no ingested day of activity is missing from the "
                "cumulative figures.",
            )
        ],
    ),
    kinds={"polars", "parquet"},
)
def user_analytics(
    context: AssetExecutionContext,
    raw_messages: pl.LazyFrame,
    raw_conversations: pl.LazyFrame,
    categorized_messages: pl.LazyFrame,
    previous_state: pl.DataFrame | None,
) -> Iterator[Output | AssetCheckResult]:
    """Cumulative state per pseudonymous user as of each day: conversations started, messages,
    first/last seen, active days, sessions, mean sentiment, top topics, tokens and cost.

    state(D) = state(D-1) + rows of D (the previous partition is an input), so re-running a
    day recomputes the same state instead of adding the day again."""
    started_at = time.perf_counter()
    keys = list(context.partition_keys)
    days = [date.fromisoformat(k) for k in keys]
    before = days[0] - timedelta(days=1)
    state = _starting_state(previous_state, before)
    # An empty stored state and a missing one load alike: ask the instance which it is.
    first_day = DAILY_PARTITIONS.get_first_partition_key()
    materialized = context.instance.get_materialized_partitions(context.asset_key)
    # Continuous also when no earlier day was ever ingested: then there is no activity the
    # state could be missing (a fresh deployment that starts after PARTITIONS_START_DATE).
    ingested_before = any(
        k < keys[0] for k in context.instance.get_materialized_partitions(AssetKey("raw_messages"))
    )
    continuous = keys[0] == first_day or before.isoformat() in materialized or not ingested_before
    if not continuous:
        context.log.warning(
            f"user_analytics: no state stored for {before}; starting from an empty state "
            "(materialize the earlier days first for cumulative figures since the start)"
        )
    _, conversations, prepared = load_prepared(
        raw_messages, raw_conversations, categorized_messages, get_settings().pseudonym_key
    )
    started = pseudonymize(
        conversations, "from_end_user_id", get_settings().pseudonym_key, "user_key"
    ).select(
        pl.col("id").alias("conversation_id"),
        "user_key",
        pl.col("created_at").dt.date().alias("date"),
    )
    gap = get_settings().session_gap_minutes
    states: list[pl.DataFrame] = []
    for day in days:
        state = advance_state(
            state,
            prepared.filter(pl.col("date") == day),
            started.filter(pl.col("date") == day),
            day,
            gap_minutes=gap,
        )
        states.append(state)
    out = pl.concat(states, how="vertical")
    computed = time.perf_counter()
    last = state
    day_figures = per_day(
        context,
        out,
        "as_of",
        {
            "users": pl.len(),
            "active_users": pl.col("active_today").sum(),
            "messages": pl.col("messages").sum(),
            "sessions": pl.col("sessions").sum(),
        },
    )
    yield Output(
        out,
        metadata={
            **timings(started_at, computed),
            "users": last.height,
            "active_users": last.filter(pl.col("active_today")).height,
            "session_gap_minutes": gap,
            "per_day": day_figures,
        },
    )
    name = "user_analytics"
    yield check_result("unique_keys", unique_keys(out, ["user_key", "as_of"]), name)
    yield check_result("no_negative_figures", non_negative(out, FIGURE_COLUMNS), name)
    yield check_result(
        "state_is_continuous",
        CheckOutcome(
            passed=continuous,
            metadata={"previous_day": before.isoformat(), "found": continuous},
        ),
        name,
        severity=AssetCheckSeverity.WARN,
    )


def _starting_state(previous: pl.DataFrame | None, before: date) -> pl.DataFrame:
    """The stored state as of `before` (the loaded frame may hold later days of a range run)."""
    if previous is None or "as_of" not in previous.columns:
        return empty_state()
    found = previous.filter(pl.col("as_of") == before)
    return found if found.height else empty_state()
