"""`raw_conversations` and `raw_messages`: the source rows of each UTC day, parsed once.

Thin assets: the source (demo or NocoDB, chosen by configuration) fetches a day's window, the
pure `ingestion.normalize` functions parse and validate it, malformed rows go to MongoDB
`processing_errors`, and the Parquet IO manager writes the sound rows. A single-run backfill
walks its days one by one, so every day's errors are attributed to that day's partition.
"""

from collections.abc import Callable, Iterator

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    MetadataValue,
    Output,
    asset,
)

from analytics_assets.defs.analytics.check_results import check_result
from analytics_assets.defs.analytics.checks import unique_keys
from analytics_assets.defs.ingestion.normalize import (
    Normalized,
    normalize_conversations,
    normalize_messages,
)
from analytics_assets.deletions import deleted_user_keys, drop_deleted_users
from analytics_assets.markdown import markdown_table
from analytics_assets.partitions import DAILY_PARTITIONS, day_window
from analytics_assets.settings import get_settings
from analytics_assets.sources.base import SourceResource
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.partition_figures import add_partition_figures

INGESTION_GROUP = "ingestion"


def _checks(asset_name: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec("unique_ids", asset=asset_name, description="No id appears twice."),
        AssetCheckSpec(
            "rows_reconcile_with_source",
            asset=asset_name,
            description="Stored + rejected + withheld (deleted users) rows = rows the source "
            "returned.",
        ),
    ]


def _ingest(
    context: AssetExecutionContext,
    *,
    asset_name: str,
    source: SourceResource,
    fetch: Callable,
    normalize: Callable[..., Normalized],
    mongo: MongoResource,
) -> Iterator[Output | AssetCheckResult]:
    frames: list[pl.DataFrame] = []
    errors: list[pl.DataFrame] = []
    source_rows = 0
    per_day: list[dict[str, object]] = []
    repo = mongo.errors()
    # Users deleted through the API stay out of every later ingestion (analytics_assets.deletions).
    deleted = deleted_user_keys(mongo)
    pseudonym_key = get_settings().pseudonym_key
    withheld = 0
    for key in context.partition_keys:
        window = day_window(key)
        wire = fetch(*window)
        result = normalize(wire, asset=asset_name, partition=key, window=window)
        # Recording (even an empty set) resolves errors of earlier runs that no longer occur.
        repo.record_partition(asset_name, key, result.errors)
        kept, dropped = drop_deleted_users(result.rows, deleted, pseudonym_key)
        withheld += dropped
        frames.append(kept)
        errors.append(result.errors)
        source_rows += result.source_rows
        per_day.append(
            {
                "partition": key,
                "rows": kept.height,
                "rejected": result.errors.height,
                "source_rows": result.source_rows,
                "withheld": dropped,
            }
        )
        context.log.info(
            f"{asset_name} {key}: {kept.height} rows, {result.errors.height} rejected "
            f"{result.error_counts or ''}"
            + (f", {dropped} of deleted users withheld" if dropped else "")
        )

    rows = pl.concat(frames, how="vertical")
    rejected = pl.concat(errors, how="vertical")
    by_reason = (
        rejected.group_by("reason").len().sort("reason").to_dicts() if rejected.height else []
    )
    # A range run's events each get their day's figures (the Parquet files' own come from the
    # IO manager); the run-wide ones below stay for the run's view.
    add_partition_figures(
        context,
        {
            d["partition"]: {
                "source_rows": d["source_rows"],
                "error_count": d["rejected"],
                "deleted_user_rows_withheld": d["withheld"],
            }
            for d in per_day
        },
    )
    yield Output(
        rows,
        metadata={
            "source_rows": source_rows,
            "error_count": rejected.height,
            "deleted_user_rows_withheld": withheld,
            "errors_by_reason": MetadataValue.md(
                markdown_table(["reason", "rows"], ([r["reason"], r["len"]] for r in by_reason))
                if by_reason
                else "no rejected rows"
            ),
            "rejected_ids": MetadataValue.json(rejected["record_id"].head(50).to_list()),
            "per_partition": MetadataValue.md(
                markdown_table(
                    ["partition", "rows", "rejected"],
                    ([d["partition"], d["rows"], d["rejected"]] for d in per_day),
                )
            ),
            "source": source.source_name,
        },
    )
    yield check_result("unique_ids", unique_keys(rows, ["id"]), asset_name)
    yield AssetCheckResult(
        check_name="rows_reconcile_with_source",
        asset_key=asset_name,
        passed=rows.height + rejected.height + withheld == source_rows,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "stored": rows.height,
            "rejected": rejected.height,
            "withheld_deleted_users": withheld,
            "source": source_rows,
        },
    )


def _raw_asset(
    name: str, fetch: str, normalize: Callable[..., Normalized], description: str
) -> AssetsDefinition:
    """One raw asset per source table; they differ only in the table and its normalizer."""

    @asset(
        name=name,
        description=description,
        partitions_def=DAILY_PARTITIONS,
        backfill_policy=BackfillPolicy.single_run(),
        group_name=INGESTION_GROUP,
        metadata={"partition_expr": "created_at"},
        check_specs=_checks(name),
        kinds={"polars", "parquet"},
    )
    def _raw(
        context: AssetExecutionContext, source: SourceResource, mongo: MongoResource
    ) -> Iterator[Output | AssetCheckResult]:
        yield from _ingest(
            context,
            asset_name=name,
            source=source,
            fetch=getattr(source, fetch),
            normalize=normalize,
            mongo=mongo,
        )

    return _raw


raw_conversations = _raw_asset(
    "raw_conversations",
    "fetch_conversations",
    normalize_conversations,
    "Dify `conversations` rows created on the partition's UTC day, timestamps parsed.",
)
raw_messages = _raw_asset(
    "raw_messages",
    "fetch_messages",
    normalize_messages,
    "Dify `messages` rows (one turn: user `query` + bot `answer`) created on the UTC day.",
)
