"""`categorized_messages`: topic, intent and sentiment of every message, scored with JAX.

Thin asset: reads the day's `raw_messages`, runs the pure `scoring.messages` functions with the
configured engine (`ScoringResource`: device, taxonomy, learned weights) and writes the frame
through the Parquet IO manager. The per-conversation labels in MongoDB
`conversation_categories` are written downstream by `serving_conversation_categories`
(`defs/serving/`), so the lake never waits on MongoDB. A single-run backfill scores all of its
days in one engine call (kernels compiled once).

No `from __future__ import annotations` here: Dagster checks the `context` annotation by
identity, and a string annotation fails that check.
"""

import time
from collections.abc import Iterator

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    BackfillPolicy,
    MetadataValue,
    Output,
    asset,
)

from analytics_assets.automation import FOLLOW_UPSTREAM
from analytics_assets.defs.analytics.check_results import check_result
from analytics_assets.defs.analytics.checks import unique_keys
from analytics_assets.defs.categorization.engine.vocab import SENTIMENTS
from analytics_assets.defs.categorization.language import DetectionSettings
from analytics_assets.defs.categorization.messages import INPUT_COLUMNS, categorize_messages
from analytics_assets.defs.categorization.resource import ScoringResource
from analytics_assets.execution import SCORING_QUEUE, step_queue_tags
from analytics_assets.markdown import markdown_table
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.schemas import (
    CATEGORIZED_SCHEMA,
    PROCESSING_ERRORS_SCHEMA,
    RAW_MESSAGES_SCHEMA,
    load_columns,
)
from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.partition_figures import add_partition_figures, figures_per_day

ASSET_NAME = "categorized_messages"
CATEGORIZATION_GROUP = "categorization"


def distribution_markdown(df: pl.DataFrame, column: str) -> MetadataValue:
    """A `| label | messages | share |` table, most frequent first."""
    counts = df.group_by(column).len().sort(["len", column], descending=[True, False])
    total = max(df.height, 1)
    rows = (
        [row[column], f"{row['len']:,}", f"{row['len'] / total:.1%}"]
        for row in counts.iter_rows(named=True)
    )
    return MetadataValue.md(markdown_table([column, "messages", "share"], rows, align="lrr"))


@asset(
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    automation_condition=FOLLOW_UPSTREAM,
    group_name=CATEGORIZATION_GROUP,
    ins={"raw_messages": AssetIn("raw_messages")},
    metadata={"partition_expr": "created_at"},
    check_specs=[
        AssetCheckSpec("unique_message_ids", asset=ASSET_NAME, description="One row a message."),
        AssetCheckSpec(
            "covers_raw_messages",
            asset=ASSET_NAME,
            description="Every raw message of the day has its row (none lost, none invented).",
        ),
        AssetCheckSpec(
            "labels_valid",
            asset=ASSET_NAME,
            description="Labels come from the taxonomy; confidences in [0, 1], scores in [-1, 1].",
        ),
    ],
    kinds={"polars", "jax", "parquet", "mongodb"},
    # Under the celery executor this step goes to the `scoring` queue (GPU workers).
    op_tags=step_queue_tags(SCORING_QUEUE),
)
def categorized_messages(
    context: AssetExecutionContext,
    scoring: ScoringResource,
    mongo: MongoResource,
    raw_messages: pl.LazyFrame,
) -> Iterator[Output | AssetCheckResult]:
    """Topic, intent and sentiment of each user query, sentiment of each bot answer, and the
    message's language (per-conversation labels: `serving_conversation_categories`)."""
    messages = load_columns(raw_messages, INPUT_COLUMNS, RAW_MESSAGES_SCHEMA)
    categorizer = scoring.categorizer()
    started = time.perf_counter()
    compile_before = categorizer.compile_seconds
    settings = get_settings()
    result = categorize_messages(
        messages,
        categorizer,
        settings.pseudonym_key,
        DetectionSettings.from_settings(settings),
    )
    elapsed = time.perf_counter() - started
    compile_s = categorizer.compile_seconds - compile_before

    errors_repo = mongo.errors()
    for key in context.partition_keys:
        # Categorization has no row-level failures (every text gets labels); recording the
        # empty set resolves errors an earlier version of this asset may have left open.
        errors_repo.record_partition(ASSET_NAME, key, pl.DataFrame(schema=PROCESSING_ERRORS_SCHEMA))

    texts = 2 * result.height
    timings = categorizer.last_timings
    context.log.info(
        f"{ASSET_NAME} {context.partition_keys[0]}..{context.partition_keys[-1]}: "
        f"{result.height} messages on {categorizer.device_name} in {elapsed:.2f}s "
        f"(compile {compile_s:.2f}s)"
    )
    # Each partition's event shows its own day's messages (the run's total stays run-wide).
    add_partition_figures(
        context,
        figures_per_day(result, "created_at", {"messages": pl.len()}, context.partition_keys),
    )
    yield Output(
        result,
        metadata={
            "messages": result.height,
            "device": categorizer.device_name,
            "weights": "learned" if categorizer.weights is not None else "rules",
            "taxonomy": categorizer.vocab.source,
            "texts_scored": texts,
            "seconds": round(elapsed, 3),
            "compile_seconds": round(compile_s, 3),
            "throughput_texts_per_s": round(texts / max(elapsed - compile_s, 1e-9), 1),
            "tokenize_seconds": round(timings.get("tokenize_s", 0.0), 3),
            "score_seconds": round(timings.get("score_s", 0.0), 3),
            "topic_distribution": distribution_markdown(result, "topic"),
            "intent_distribution": distribution_markdown(result, "intent"),
            "sentiment_distribution": distribution_markdown(result, "sentiment"),
            "answer_sentiment_distribution": distribution_markdown(result, "answer_sentiment"),
            "language_distribution": distribution_markdown(result, "language"),
        },
    )
    yield check_result("unique_message_ids", unique_keys(result, ["message_id"]), ASSET_NAME)
    missing = messages.join(result, left_on="id", right_on="message_id", how="anti").height
    yield AssetCheckResult(
        check_name="covers_raw_messages",
        asset_key=ASSET_NAME,
        passed=missing == 0 and result.height == messages.height,
        severity=AssetCheckSeverity.ERROR,
        metadata={"raw_messages": messages.height, "rows": result.height, "missing": missing},
    )
    bad = result.filter(
        ~pl.col("topic").is_in(categorizer.topic_names)
        | ~pl.col("intent").is_in(categorizer.intent_names)
        | ~pl.col("sentiment").is_in(list(SENTIMENTS))
        | ~pl.col("answer_sentiment").is_in(list(SENTIMENTS))
        | ~pl.col("topic_confidence").is_between(0, 1)
        | ~pl.col("intent_confidence").is_between(0, 1)
        | ~pl.col("sentiment_score").is_between(-1, 1)
        | ~pl.col("answer_sentiment_score").is_between(-1, 1)
    ).height
    yield AssetCheckResult(
        check_name="labels_valid",
        asset_key=ASSET_NAME,
        passed=bad == 0 and result.schema == CATEGORIZED_SCHEMA,
        severity=AssetCheckSeverity.ERROR,
        metadata={"invalid_rows": bad},
    )
