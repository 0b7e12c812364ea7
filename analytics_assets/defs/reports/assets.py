"""`daily_report`, `weekly_report`, `monthly_report`: one report per period, from row-level data.

Each report asset reads the daily `raw_messages`, `raw_conversations` and `categorized_messages`
partitions of its period (weekly and monthly map their daily inputs with
`partitions.DAILY_TO_PERIOD`, a `TimeWindowPartitionMapping`; the Parquet IO manager hands them
over as one frame) and computes every figure from those rows (`analytics.reports`), so
distinct users and latency percentiles are right for every period length.

Per period it writes: the Parquet row (IO manager, split by `period_start` in range runs), one
MongoDB `analytics_reports` document, and a self-contained HTML page at
`<lake>/reports_html/<period_type>/<period_key>.html`, linked from the metadata.

All three use `BackfillPolicy.single_run()`: a backfill of 30 days (or of several weeks or
months) is one run, in which the asset builds each period of the range in turn. All three follow
their inputs with `automation.FOLLOW_UPSTREAM` (a period is rebuilt when one of its days is
re-ingested; a new week/month is built once all its days are in). That condition is their
only trigger: a schedule beside it would only rebuild the same report.

`rejected_rows` counts the open `processing_errors` of `raw_messages`/`raw_conversations` for
the period's days: the malformed source rows of the latest ingestion of those days, which are
excluded from every figure. MongoDB is the source because it holds exactly the latest attempt
per partition (a re-ingested day resolves errors that went away), which the materialization
metadata of the raw assets only gives per run.
"""

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    BackfillPolicy,
    MetadataValue,
    Output,
    PartitionMapping,
    PartitionsDefinition,
    asset,
)
from upath import UPath

from analytics_assets.automation import FOLLOW_UPSTREAM
from analytics_assets.defs.analytics.check_results import check_result
from analytics_assets.defs.analytics.checks import (
    combine,
    non_negative,
    report_reconciles,
    unique_keys,
)
from analytics_assets.defs.analytics.prepare import load_prepared
from analytics_assets.defs.reports.build import (
    Period,
    build_report,
    daily_series,
    headline_markdown,
    period_for,
    report_frame,
)
from analytics_assets.defs.reports.html import render_report_html
from analytics_assets.partitions import (
    DAILY_PARTITIONS,
    DAILY_TO_PERIOD,
    MONTHLY_PARTITIONS,
    WEEKLY_PARTITIONS,
)
from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets.storage.partition_figures import add_partition_figures

REPORTS_GROUP = "reports"
RAW_ASSETS = ("raw_messages", "raw_conversations")
HTML_FOLDER = "reports_html"


def lake_root(context: AssetExecutionContext) -> UPath:
    """Where the Parquet files of this run go: the run's Parquet IO manager's root (same base
    path and S3 options), else the configured lake (`ANALYTICS_LAKE`)."""
    io_manager = getattr(context.resources, "io_manager", None)
    if isinstance(io_manager, LakeIOManager):
        return io_manager.root()
    return UPath(get_settings().lake)


def html_path(root: UPath, period: Period) -> UPath:
    return root / HTML_FOLDER / period.period_type / f"{period.key}.html"


def rejected_rows(mongo: MongoResource, period: Period) -> dict[str, int]:
    """Open ingestion errors of the period's days, per raw asset."""
    days = [d.isoformat() for d in period.days()]
    repo = mongo.errors()
    return {
        asset_name: repo.count({"asset": asset_name, "partition": {"$in": days}, "status": "open"})
        for asset_name in RAW_ASSETS
    }


def _ins(mapping: PartitionMapping | None) -> dict[str, AssetIn]:
    return {
        name: AssetIn(name, partition_mapping=mapping)
        for name in ("raw_messages", "raw_conversations", "categorized_messages")
    }


def _checks(asset_name: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(
            "reconciles_with_rows",
            asset=asset_name,
            description="Totals equal the sums over the raw rows of the period; every "
            "breakdown (topic, intent, sentiment, language, model, app) adds up to the totals.",
        ),
        AssetCheckSpec("unique_keys", asset=asset_name, description="One report per period."),
        AssetCheckSpec(
            "no_negative_figures", asset=asset_name, description="No negative tokens or costs."
        ),
    ]


def _page_value(page: str) -> MetadataValue:
    """A report page as metadata: a local path, or the URL of a page in an object store."""
    return MetadataValue.path(page) if "://" not in page else MetadataValue.url(page)


def materialize_reports(
    context: AssetExecutionContext,
    mongo: MongoResource,
    period_type: str,
    raw_messages: pl.LazyFrame,
    raw_conversations: pl.LazyFrame,
    categorized_messages: pl.LazyFrame,
) -> Iterator[Output | AssetCheckResult]:
    """Build, store and check the report of every period of the run (one, or a range)."""
    started = time.perf_counter()
    messages, _, prepared = load_prepared(
        raw_messages, raw_conversations, categorized_messages, get_settings().pseudonym_key
    )
    periods = [period_for(period_type, date.fromisoformat(k)) for k in context.partition_keys]
    for key, period in zip(context.partition_keys, periods, strict=True):
        if period.key != key:  # a partition key that is not the period's first day
            raise ValueError(f"{period_type} partition {key} does not start its period")

    root = lake_root(context)
    repo = mongo.reports()
    reports: list[dict[str, Any]] = []
    outcomes = []
    for period in periods:
        rejected = rejected_rows(mongo, period)
        report = build_report(prepared, period, rejected_rows=sum(rejected.values()))
        report["rejected_by_asset"] = rejected
        page = html_path(root, period)
        page.parent.mkdir(parents=True, exist_ok=True)
        # The renderer marks days inside [period_start, period_end] with an inclusive end.
        shown = {**report, "period_end": report["period_last_day"]}
        page.write_text(render_report_html(shown, daily_series(prepared, period)), encoding="utf-8")
        report["html_path"] = str(page)
        repo.upsert_report(report)
        reports.append(report)
        outcomes.append(report_reconciles(report, messages, period))
        context.log.info(
            f"{period.report_id}: {report['messages']} messages, {report['users']} users, "
            f"{report['rejected_rows']} rejected rows; page {page}"
        )

    frame = report_frame(reports)
    # Each period's event shows its own report (a range run's totals stay run-wide below).
    add_partition_figures(
        context,
        {
            period.key: {
                "messages": report["messages"],
                "users": report["users"],
                "rejected_rows": report["rejected_rows"],
                "html_report": _page_value(report["html_path"]),
            }
            for period, report in zip(periods, reports, strict=True)
        },
    )
    metadata: dict[str, Any] = {
        "seconds": round(time.perf_counter() - started, 3),
        "periods": len(reports),
        "messages": sum(r["messages"] for r in reports),
        "headline": MetadataValue.md(headline_markdown(reports[-12:])),
    }
    if len(reports) == 1:
        page = reports[0]["html_path"]
        metadata["html_report"] = _page_value(page)
    else:
        metadata["html_reports"] = MetadataValue.md(
            "\n".join(f"- {r['period_label']}: `{r['html_path']}`" for r in reports)
        )
    yield Output(frame, metadata=metadata)

    asset_name = context.asset_key.path[-1]
    yield check_result(
        "reconciles_with_rows",
        combine(outcomes, [p.report_id for p in periods]),
        asset_name,
    )
    yield check_result("unique_keys", unique_keys(frame, ["report_id"]), asset_name)
    yield check_result(
        "no_negative_figures",
        non_negative(
            frame,
            ("messages", "message_tokens", "answer_tokens", "total_tokens", "total_cost", "users"),
        ),
        asset_name,
    )


def _report_asset(
    name: str,
    period_type: str,
    partitions_def: PartitionsDefinition,
    mapping: PartitionMapping | None,
    description: str,
):
    @asset(
        name=name,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        automation_condition=FOLLOW_UPSTREAM,
        group_name=REPORTS_GROUP,
        ins=_ins(mapping),
        metadata={"partition_expr": "period_start"},
        check_specs=_checks(name),
        kinds={"polars", "parquet", "mongodb", "html"},
        description=description,
    )
    def _report(
        context: AssetExecutionContext,
        mongo: MongoResource,
        raw_messages: pl.LazyFrame,
        raw_conversations: pl.LazyFrame,
        categorized_messages: pl.LazyFrame,
    ) -> Iterator[Output | AssetCheckResult]:
        yield from materialize_reports(
            context, mongo, period_type, raw_messages, raw_conversations, categorized_messages
        )

    return _report


daily_report = _report_asset(
    "daily_report",
    "daily",
    DAILY_PARTITIONS,
    None,
    "The report of one UTC day, from its message rows (Parquet, MongoDB analytics_reports, "
    "HTML page). Built once the day is in; rebuilt when it is re-ingested.",
)
weekly_report = _report_asset(
    "weekly_report",
    "weekly",
    WEEKLY_PARTITIONS,
    DAILY_TO_PERIOD,
    "The report of one ISO week (Monday to Sunday), from the message rows of its seven days "
    "(not from daily reports). Built once the week's days are in.",
)
monthly_report = _report_asset(
    "monthly_report",
    "monthly",
    MONTHLY_PARTITIONS,
    DAILY_TO_PERIOD,
    "The report of one calendar month, from the message rows of all its days (not from "
    "daily reports). Built once the month's days are in.",
)
