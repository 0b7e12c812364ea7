"""Pure logic of error tracking: error documents as frames, summaries, and the retry plan.

The MongoDB repository (`resources/mongo/errors.py`) stores one document per failed row and
moves it from `open` to `resolved`; this module turns those documents into what people and
Dagster consume: a typed frame for Parquet, Markdown tables for the UI, and the list of
(partition, assets) runs the retry sensor requests. No I/O here, so all of it is tested on
plain data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from analytics_assets.markdown import markdown_table
from analytics_assets.schemas import PROCESSING_ERRORS_SCHEMA

_TS = pl.Datetime("ms", "UTC")  # BSON dates carry milliseconds

# What the `processing_errors` asset stores per partition: the error record plus its lifecycle.
PROCESSING_ERRORS_SNAPSHOT_SCHEMA = pl.Schema(
    {
        **PROCESSING_ERRORS_SCHEMA,
        "status": pl.String(),  # "open" | "resolved"
        "attempts": pl.Int64(),  # how many materializations of the partition hit this row
        "first_seen": _TS,
        "last_seen": _TS,
        "resolved_at": _TS,
    }
)

SORT_KEY = ("asset", "stage", "record_id")


def errors_frame(documents: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Error documents → a frame of exactly `PROCESSING_ERRORS_SNAPSHOT_SCHEMA`, sorted.

    Unknown fields (`_id`, bookkeeping) are dropped, missing ones become nulls.
    """
    names = list(PROCESSING_ERRORS_SNAPSHOT_SCHEMA.names())
    rows = [{name: doc.get(name) for name in names} for doc in documents]
    frame = pl.DataFrame(rows, schema=PROCESSING_ERRORS_SNAPSHOT_SCHEMA, orient="row")
    return frame.sort(["partition", *SORT_KEY], nulls_last=True)


def counts_by_asset_stage(frame: pl.DataFrame) -> pl.DataFrame:
    """Open and resolved error counts per (asset, stage), for one or more partitions."""
    if frame.is_empty():
        return pl.DataFrame(
            schema={"asset": pl.String, "stage": pl.String, "open": pl.Int64, "resolved": pl.Int64}
        )
    return (
        frame.group_by("asset", "stage")
        .agg(
            open=(pl.col("status") == "open").sum().cast(pl.Int64),
            resolved=(pl.col("status") == "resolved").sum().cast(pl.Int64),
        )
        .sort("asset", "stage")
    )


def records_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    return markdown_table(columns, ([row.get(c) for c in columns] for row in rows))


def partition_summary_markdown(frame: pl.DataFrame) -> str:
    """Open/resolved errors of the materialized partition(s) per asset and stage."""
    counts = counts_by_asset_stage(frame)
    if counts.is_empty():
        return "No processing errors recorded for this partition."
    return records_table(counts.to_dicts(), ("asset", "stage", "open", "resolved"))


def open_summary_markdown(summary: Sequence[Mapping[str, Any]]) -> str:
    """The repository's `summary()` (open errors per asset and stage, all partitions)."""
    if not summary:
        return "No open processing errors in any partition."
    return records_table(
        summary, ("asset", "stage", "open", "partitions", "oldest_first_seen", "latest_last_seen")
    )


def reasons_markdown(frame: pl.DataFrame, top: int = 20) -> str:
    """The most frequent open reasons of the partition(s): what to fix first."""
    open_rows = frame.filter(pl.col("status") == "open")
    if open_rows.is_empty():
        return "No open errors."
    counts = (
        open_rows.group_by("asset", "stage", "reason")
        .len(name="rows")
        .sort(["rows", "asset", "stage", "reason"], descending=[True, False, False, False])
        .head(top)
    )
    return records_table(counts.to_dicts(), ("asset", "stage", "reason", "rows"))


# --- retry planning --------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryRun:
    """One run of the retry job: re-materialize `assets` for `partition`."""

    partition: str
    assets: tuple[str, ...]
    open_errors: int
    run_key: str


@dataclass(frozen=True)
class RetryPlan:
    runs: list[RetryRun]
    exhausted: list[tuple[str, str]]  # (asset, partition) that hit the attempt limit
    not_retryable: list[tuple[str, str]]  # (asset, partition) of assets outside the retry job
    invalid_partitions: list[tuple[str, str]]  # keys that are not partitions of the job
    deferred: int  # runs left for a later tick (per-tick limit)


def plan_retries(
    open_groups: Iterable[Mapping[str, Any]],
    *,
    retryable_assets: Iterable[str],
    is_partition: Any,
    max_attempts: int,
    max_runs: int,
    always_include: Sequence[str] = (),
) -> RetryPlan:
    """Which (partition, assets) runs to request for the open errors.

    `open_groups` has one entry per (asset, partition) with open errors: `asset`, `partition`,
    `open` (count) and `max_attempts` (the highest `attempts` among them). An (asset,
    partition) is retried while `max_attempts < max_attempts`: every materialization of the
    partition re-records its still-failing rows and so raises `attempts`, which bounds the
    retries of rows that fail every time (a malformed source row, say) and also makes the run
    key change only when something was attempted again. Assets that fail in the same partition
    are retried in one run (Dagster orders them). The run key names the state it answers, so
    a sensor evaluated twice in that state requests nothing twice. Oldest partitions first.
    """
    retryable = set(retryable_assets)
    by_partition: dict[str, list[tuple[str, int, int]]] = {}
    exhausted: list[tuple[str, str]] = []
    not_retryable: list[tuple[str, str]] = []
    invalid: list[tuple[str, str]] = []
    for group in open_groups:
        asset, partition = str(group["asset"]), str(group["partition"])
        attempts = int(group.get("max_attempts") or 1)
        if asset not in retryable:
            not_retryable.append((asset, partition))
        elif not is_partition(partition):
            invalid.append((asset, partition))
        elif attempts >= max_attempts:
            exhausted.append((asset, partition))
        else:
            by_partition.setdefault(partition, []).append((asset, attempts, int(group["open"])))
    runs: list[RetryRun] = []
    for partition in sorted(by_partition):
        entries = sorted(by_partition[partition])
        state = ",".join(f"{asset}@{attempts}" for asset, attempts, _ in entries)
        digest = hashlib.sha1(state.encode()).hexdigest()[:12]
        assets = tuple(asset for asset, _, _ in entries)
        extra = tuple(a for a in always_include if a not in assets)
        runs.append(
            RetryRun(
                partition=partition,
                assets=assets + extra,
                open_errors=sum(n for _, _, n in entries),
                run_key=f"retry:{partition}:{digest}",
            )
        )
    return RetryPlan(
        runs=runs[:max_runs],
        exhausted=sorted(exhausted),
        not_retryable=sorted(not_retryable),
        invalid_partitions=sorted(invalid),
        deferred=max(0, len(runs) - max_runs),
    )
