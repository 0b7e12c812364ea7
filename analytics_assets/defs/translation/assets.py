"""`translated_messages`: language of every message, and its translation into the target language.

Thin asset: reads the day's `raw_messages`, runs `translation.pipeline.translate_messages`
with the configured translator (`TranslatorResource`) and the MongoDB cache
(`conversation_translations`), records failed and over-budget rows in `processing_errors`
(re-materializing the partition is the retry; the partition itself completes), and writes the
frame through the Parquet IO manager. A single-run backfill shares one budget across its days.

No `from __future__ import annotations` here: Dagster checks the `context` annotation by
identity, and a string annotation fails that check.
"""

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
from analytics_assets.defs.categorization.language import DetectionSettings
from analytics_assets.defs.translation.pipeline import STATUSES, translate_messages
from analytics_assets.defs.translation.resource import TranslatorResource
from analytics_assets.markdown import markdown_table
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.schemas import RAW_MESSAGES_SCHEMA, load_columns
from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.partition_figures import add_partition_figures, figures_per_day

ASSET_NAME = "translated_messages"
TRANSLATION_GROUP = "translation"
INPUT_COLUMNS = ("id", "conversation_id", "created_at", "query", "answer")


def _table(counts: dict[str, int], label: str) -> MetadataValue:
    rows = ([key, f"{value:,}"] for key, value in counts.items())
    return MetadataValue.md(markdown_table([label, "messages"], rows))


@asset(
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    automation_condition=FOLLOW_UPSTREAM,
    group_name=TRANSLATION_GROUP,
    ins={"raw_messages": AssetIn("raw_messages")},
    metadata={"partition_expr": "created_at"},
    check_specs=[
        AssetCheckSpec("unique_message_ids", asset=ASSET_NAME, description="One row a message."),
        AssetCheckSpec(
            "covers_raw_messages",
            asset=ASSET_NAME,
            description="Every raw message of the day has its row (none lost, none invented).",
        ),
    ],
    kinds={"polars", "parquet", "mongodb"},
)
def translated_messages(
    context: AssetExecutionContext,
    translator: TranslatorResource,
    mongo: MongoResource,
    raw_messages: pl.LazyFrame,
) -> Iterator[Output | AssetCheckResult]:
    """Each message's language (ISO 639-1 + confidence) and its query and answer translated
    into the target language, or null with a status and reason (`same_language`,
    `not_configured`, `skipped`, `failed`, `budget_exhausted`). Translations are cached in
    MongoDB `conversation_translations`, so a re-run never pays twice for a text."""
    messages = load_columns(raw_messages, INPUT_COLUMNS, RAW_MESSAGES_SCHEMA)
    with translator.open_run() as session:
        run = translate_messages(
            messages,
            translator=session.translator,
            engine=session.engine,
            cache=mongo.translations() if session.translator.configured else None,
            target=session.target_language,
            asset=ASSET_NAME,
            detection=DetectionSettings.from_settings(get_settings()),
        )
    errors_repo = mongo.errors()
    for key in context.partition_keys:
        # Recording (even nothing) resolves the partition's earlier errors that did not recur.
        errors_repo.record_partition(ASSET_NAME, key, run.errors.filter(pl.col("partition") == key))
    stats = run.stats
    by_status = stats["by_status"]
    context.log.info(
        f"{ASSET_NAME} {context.partition_keys[0]}..{context.partition_keys[-1]}: "
        f"{stats['messages']} messages via {stats['backend']}, "
        + ", ".join(f"{s} {by_status[s]}" for s in STATUSES if by_status[s])
    )
    # Each partition's event shows its own day's messages (the run's total stays run-wide).
    add_partition_figures(
        context,
        figures_per_day(run.messages, "created_at", {"messages": pl.len()}, context.partition_keys),
    )
    yield Output(
        run.messages,
        metadata={
            "messages": stats["messages"],
            "backend": stats["backend"],
            "target_language": stats["target_language"],
            "by_language": _table(stats["by_language"], "language"),
            "by_status": _table(by_status, "status"),
            "translated": by_status["translated"],
            "cached": by_status["cached"],
            "failed": by_status["failed"],
            "budget_exhausted": by_status["budget_exhausted"],
            "texts_by_status": MetadataValue.json(stats["texts_by_status"]),
            "unique_texts_to_translate": stats["unique_texts_to_translate"],
            "cache_hits": stats["cache_hits"],
            "characters_sent": stats["characters_sent"],
            "requests": stats["requests"],
            "retries": stats["retries"],
            "error_count": run.errors.height,
        },
    )
    duplicates = run.messages.height - run.messages["message_id"].n_unique()
    yield AssetCheckResult(
        check_name="unique_message_ids",
        asset_key=ASSET_NAME,
        passed=duplicates == 0,
        metadata={"duplicate_ids": duplicates},
    )
    missing = messages.join(run.messages, left_on="id", right_on="message_id", how="anti").height
    yield AssetCheckResult(
        check_name="covers_raw_messages",
        asset_key=ASSET_NAME,
        passed=missing == 0 and run.messages.height == messages.height,
        severity=AssetCheckSeverity.ERROR,
        metadata={"raw_messages": messages.height, "rows": run.messages.height, "missing": missing},
    )
