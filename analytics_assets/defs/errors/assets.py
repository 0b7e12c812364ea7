"""`processing_errors` and the retry of failed rows.

Every asset that meets bad rows records them in MongoDB `processing_errors` through
`mongo.errors().record_partition(...)` and still succeeds (docs/architecture.md, "Row-level
errors"). This module makes those records visible and actionable:

* the `processing_errors` asset (daily) runs after the assets that record errors and stores
  the partition's error records (open and resolved) as Parquet, with Markdown summaries of the
  open errors per asset and stage in its metadata;
* `retry_failed_rows_sensor` requests runs of the `retry_failed_rows` job (jobs.py) that
  re-materialize, for each asset with open errors, exactly the partitions that have them.
  Re-materializing replaces the partition and the repository resolves the errors that did not
  recur: that is what "retry" means here. Retries of rows that fail every time are bounded by
  `RETRY_MAX_ATTEMPTS`, and errors of `RETRY_SKIP_STAGES` (default: ingestion, whose malformed
  source rows fail again on an unchanged source) are left to people.

No `from __future__ import annotations` here: Dagster 1.13 checks the `context` annotation of
an asset function as an object, and string annotations fail that check.
"""

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    DefaultSensorStatus,
    MetadataValue,
    Output,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset,
    sensor,
)

from analytics_assets.automation import FOLLOW_UPSTREAM
from analytics_assets.defs.errors.jobs import RETRY_JOB_NAME, RETRY_SELECTION, retry_failed_rows
from analytics_assets.defs.errors.records import (
    PROCESSING_ERRORS_SNAPSHOT_SCHEMA,
    SORT_KEY,
    errors_frame,
    open_summary_markdown,
    partition_summary_markdown,
    plan_retries,
    reasons_markdown,
)
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.settings import Settings, get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.base import WRITE_ID
from analytics_assets.storage.partition_figures import add_partition_figures, figures_per_day

ERRORS_GROUP = "errors"
ASSET_NAME = "processing_errors"

# Assets that record row-level errors, with the module that defines them. `processing_errors`
# depends on those that are part of this code location, so it runs after them and the retry
# job (selection: the parents of `processing_errors`) can re-run them.
ERROR_SOURCES: dict[str, str] = {
    "raw_conversations": "analytics_assets.defs.ingestion.assets",
    "raw_messages": "analytics_assets.defs.ingestion.assets",
    "categorized_messages": "analytics_assets.defs.categorization.assets",
    "translated_messages": "analytics_assets.defs.translation.assets",
}


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


ERROR_SOURCE_ASSETS: tuple[str, ...] = tuple(
    name for name, module in ERROR_SOURCES.items() if _present(module)
)


@dataclass(frozen=True)
class RetrySettings:
    """Bounds of the automatic retry (documented in `.env.example`)."""

    max_attempts: int
    max_runs_per_tick: int
    interval_seconds: int
    # Stages whose errors the sensor leaves to people. Ingestion errors are malformed source
    # rows: re-reading an unchanged source fails the same way, and a fixed row is re-ingested
    # by the source sensor anyway (NocoDB edits), so retrying them only costs runs.
    skip_stages: tuple[str, ...] = ("ingestion",)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> "RetrySettings":
        s = settings or get_settings()
        return cls(
            max_attempts=s.retry_max_attempts,
            max_runs_per_tick=s.retry_max_runs_per_tick,
            interval_seconds=s.retry_sensor_interval_seconds,
            skip_stages=s.retry_skip_stages,
        )


# --- the asset -----------------------------------------------------------------------------


def partition_errors(mongo: MongoResource, partitions: list[str]) -> pl.DataFrame:
    """Every error record (open and resolved) of the given partitions, as a typed frame.

    The filter names the assets too, so the query walks the unique (asset, partition, ...)
    index instead of scanning the collection.
    """
    repo = mongo.errors()
    assets = sorted(repo.collection.distinct("asset"))
    documents = repo.find(
        {"asset": {"$in": assets}, "partition": {"$in": partitions}},
        sort=[("partition", 1), *((k, 1) for k in SORT_KEY)],
        projection={"_id": 0, WRITE_ID: 0},
    )
    return errors_frame(documents)


@asset(
    name=ASSET_NAME,
    partitions_def=DAILY_PARTITIONS,
    deps=[AssetKey(name) for name in ERROR_SOURCE_ASSETS],
    backfill_policy=BackfillPolicy.single_run(),
    automation_condition=FOLLOW_UPSTREAM,
    group_name=ERRORS_GROUP,
    # A single-run backfill returns several days in one frame: split it by this column.
    metadata={"partition_expr": "partition"},
    check_specs=[
        AssetCheckSpec(
            "one_record_per_error_key",
            asset=ASSET_NAME,
            description="No (asset, partition, stage, record_id) appears twice.",
        )
    ],
    kinds={"mongodb", "polars", "parquet"},
)
def processing_errors(
    context: AssetExecutionContext, mongo: MongoResource
) -> Iterator[Output[pl.DataFrame] | AssetCheckResult]:
    """Row-level failures of every asset for the day, open and resolved, from MongoDB.

    Runs after the assets that record errors, so it shows the state their latest
    materialization left. Its metadata summarizes the open errors per asset and stage (this
    partition, and all partitions), which is what the retry sensor works through.
    """
    keys = list(context.partition_keys)
    frame = partition_errors(mongo, keys)
    summary = mongo.errors().summary()
    open_rows = frame.filter(pl.col("status") == "open")
    context.log.info(
        f"processing_errors {keys[0]}..{keys[-1]}: {open_rows.height} open, "
        f"{frame.height - open_rows.height} resolved"
    )
    add_partition_figures(
        context,
        figures_per_day(
            frame,
            "partition",
            {
                "open_errors": (pl.col("status") == "open").sum(),
                "resolved_errors": (pl.col("status") != "open").sum(),
            },
            keys,
        ),
    )
    yield Output(
        frame,
        metadata={
            "open_errors": open_rows.height,
            "resolved_errors": frame.height - open_rows.height,
            "open_errors_all_partitions": sum(int(s.get("open", 0)) for s in summary),
            "by_asset_and_stage": MetadataValue.md(partition_summary_markdown(frame)),
            "top_open_reasons": MetadataValue.md(reasons_markdown(frame)),
            "open_by_asset_and_stage_all_partitions": MetadataValue.md(
                open_summary_markdown(summary)
            ),
        },
    )
    duplicates = frame.height - frame.select("partition", "asset", "stage", "record_id").n_unique()
    yield AssetCheckResult(
        check_name="one_record_per_error_key",
        asset_key=ASSET_NAME,
        passed=duplicates == 0,
        metadata={"duplicate_keys": duplicates},
    )


# --- the retry sensor --------------------------------------------------------------------------


def open_groups_pipeline(skip_stages: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    match: dict[str, Any] = {"status": "open"}
    if skip_stages:
        match["stage"] = {"$nin": list(skip_stages)}
    return [{"$match": match}, *_GROUP_STAGES]


_GROUP_STAGES: list[dict[str, Any]] = [
    {
        "$group": {
            "_id": {"asset": "$asset", "partition": "$partition"},
            "open": {"$sum": 1},
            "max_attempts": {"$max": "$attempts"},
        }
    },
    {
        "$project": {
            "_id": 0,
            "asset": "$_id.asset",
            "partition": "$_id.partition",
            "open": 1,
            "max_attempts": 1,
        }
    },
]


def open_error_groups(
    mongo: MongoResource, skip_stages: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """One entry per (asset, partition) with open errors (of stages not in `skip_stages`):
    their count and highest attempt number, sorted by asset and partition."""
    groups = mongo.errors().aggregate(open_groups_pipeline(skip_stages))
    return sorted(groups, key=lambda g: (g["asset"], g["partition"]))


def _retryable_assets(context: SensorEvaluationContext) -> set[str]:
    """The assets the retry job can re-run, from the code location when there is one."""
    try:
        repo = context.repository_def
    except Exception:  # a context built without a code location (a bare test context)
        repo = None
    if repo is None:
        return set(ERROR_SOURCE_ASSETS)
    keys = RETRY_SELECTION.resolve(repo.asset_graph)
    return {key.to_user_string() for key in keys} - {ASSET_NAME}


def _is_daily_key(key: str) -> bool:
    try:
        return DAILY_PARTITIONS.has_partition_key(key)
    except Exception:  # malformed keys make some dagster versions raise instead of False
        return False


@sensor(
    job=retry_failed_rows,
    minimum_interval_seconds=RetrySettings.from_settings().interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Requests `retry_failed_rows` runs for the daily partitions with open processing "
        "errors: one run per partition, re-materializing the assets that failed there."
    ),
)
def retry_failed_rows_sensor(
    context: SensorEvaluationContext, mongo: MongoResource
) -> SensorResult | SkipReason:
    settings = RetrySettings.from_settings()
    plan = plan_retries(
        open_error_groups(mongo, settings.skip_stages),
        retryable_assets=_retryable_assets(context),
        is_partition=_is_daily_key,
        max_attempts=settings.max_attempts,
        max_runs=settings.max_runs_per_tick,
        always_include=(ASSET_NAME,),
    )
    for what, pairs in (
        (f"gave up after {settings.max_attempts} attempts", plan.exhausted),
        ("not re-runnable by the retry job", plan.not_retryable),
        ("not daily partition keys", plan.invalid_partitions),
    ):
        if pairs:
            shown = ", ".join(f"{a}[{p}]" for a, p in pairs[:10])
            context.log.info(f"{len(pairs)} asset partitions {what}: {shown}")
    if not plan.runs:
        skipped = f" (errors of stages {', '.join(settings.skip_stages)} are left to people)"
        return SkipReason(
            "no open processing errors to retry" + (skipped if settings.skip_stages else "")
        )
    if plan.deferred:
        context.log.info(f"{plan.deferred} more partitions wait for the next tick")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=run.run_key,
                job_name=RETRY_JOB_NAME,
                partition_key=run.partition,
                asset_selection=[AssetKey(name) for name in run.assets],
                tags={
                    "analytics/trigger": "retry_failed_rows_sensor",
                    "analytics/open_errors": str(run.open_errors),
                },
            )
            for run in plan.runs
        ]
    )


SENSORS = [retry_failed_rows_sensor]

__all__ = [
    "ERROR_SOURCE_ASSETS",
    "PROCESSING_ERRORS_SNAPSHOT_SCHEMA",
    "SENSORS",
    "open_error_groups",
    "partition_errors",
    "processing_errors",
    "retry_failed_rows_sensor",
]
