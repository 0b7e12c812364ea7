"""Sensors: react to new data in the source.

`nocodb_new_rows` polls the NocoDB mirror of Dify's `conversations` and `messages` tables and
requests `ingest_raw` runs for exactly the daily partitions that new or edited rows fall into.

How it stays correct (docs/nocodb.md has the long form):

* Its cursor (JSON, visible in the UI on the sensor page) holds, per table, the highest NocoDB
  `Id` seen and the newest `UpdatedAt` seen (NocoDB sets `UpdatedAt` on edits only; it has
  whole seconds, so the cursor also keeps the ids already seen at exactly that second).
* New rows are `Id > max_id`; edited rows are `Id <= max_id` with `UpdatedAt` at or after the
  cursor's. New rows are read first and edits second, so an edit made during a tick is seen
  by this tick or the next one, never skipped.
* A row's partition is the UTC date of its `created_at`. Rows of a day whose partition does
  not exist yet (today: daily partitions end with yesterday) are kept in the cursor as
  *pending* and turned into a run request as soon as the partition exists. Rows dated before
  the first partition, or with an unreadable `created_at`, can never be ingested by a daily
  partition; they are logged with their ids and passed.
* Every run request has a `run_key` made of the partition and, per table, the highest `Id`
  and newest `UpdatedAt` among the rows that caused it: a repeated tick over the same rows
  asks for the same keys, and Dagster launches nothing for a key it has already seen.
* A tick reads at most `NOCODB_SENSOR_MAX_ROWS` rows per table and query; the cursor then
  advances only past the rows that were turned into run requests (or pending entries).

Downstream assets follow the raw assets through their `AutomationCondition.eager()` conditions
(evaluated by Dagster's default automation-condition sensor), so the sensor only launches
ingestion.

No `from __future__ import annotations` here: Dagster finds the sensor's resource parameter
(`source`) by its annotation, which must be the class itself, not a string.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    partition_loading_context,
    sensor,
)

from analytics_assets.defs.ingestion.jobs import ingestion_job
from analytics_assets.partitions import DAILY_PARTITIONS
from analytics_assets.settings import get_settings
from analytics_assets.sources.base import SourceResource
from analytics_assets.sources.nocodb import (
    NOCODB_ID,
    NOCODB_UPDATED,
    TABLE_KINDS,
    Changes,
    NocoDBResource,
)

CURSOR_VERSION = 1


# --- cursor ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableCursor:
    """How far the sensor has read one table."""

    max_id: int = 0
    max_updated_at: str | None = None  # wire format `YYYY-MM-DD HH:MM:SS+00:00`
    ids_at_max_updated: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "max_id": self.max_id,
            "max_updated_at": self.max_updated_at,
            "ids_at_max_updated": list(self.ids_at_max_updated),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TableCursor":
        return cls(
            max_id=int(data.get("max_id", 0)),
            max_updated_at=data.get("max_updated_at"),
            ids_at_max_updated=tuple(int(i) for i in data.get("ids_at_max_updated", ())),
        )


# pending: partition key -> table kind -> (max Id, newest UpdatedAt) of the waiting rows
Pending = dict[str, dict[str, tuple[int, str | None]]]


@dataclass(frozen=True)
class SensorCursor:
    tables: dict[str, TableCursor] = field(default_factory=dict)
    pending: Pending = field(default_factory=dict)

    def table(self, kind: str) -> "TableCursor":
        return self.tables.get(kind, TableCursor())

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": CURSOR_VERSION,
                "tables": {k: v.to_json() for k, v in sorted(self.tables.items())},
                "pending": {
                    p: {k: list(v) for k, v in sorted(kinds.items())}
                    for p, kinds in sorted(self.pending.items())
                },
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> "SensorCursor":
        if not text:
            return cls()
        data = json.loads(text)
        if data.get("version") != CURSOR_VERSION:
            raise ValueError(f"nocodb_new_rows: unknown cursor version in {text[:200]!r}")
        return cls(
            tables={k: TableCursor.from_json(v) for k, v in data.get("tables", {}).items()},
            pending={
                p: {k: (int(v[0]), v[1]) for k, v in kinds.items()}
                for p, kinds in data.get("pending", {}).items()
            },
        )


# --- planning (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRun:
    partition_key: str
    run_key: str
    maxima: dict[str, tuple[int, str | None]]  # table kind -> (max Id, newest UpdatedAt)


@dataclass(frozen=True)
class Plan:
    runs: list[PlannedRun]
    cursor: SensorCursor
    rows_seen: int
    unmappable: pl.DataFrame  # table, Id, created_at of rows no daily partition can take


def _advance(old: TableCursor, changes: Changes) -> "TableCursor":
    """The table cursor after turning `changes` into run requests."""
    new, edited = changes.new_rows, changes.edited_rows
    max_id = max([old.max_id, *new.get_column(NOCODB_ID).to_list()])
    events = pl.concat([new, edited]).filter(pl.col(NOCODB_UPDATED).is_not_null())
    if changes.edited_truncated:
        # Edits were read in UpdatedAt order and stopped at the row limit: go no further
        # than the last edit read, so the ones after it are read next tick.
        events = events.filter(pl.col(NOCODB_UPDATED) <= edited.get_column(NOCODB_UPDATED).max())
    if events.is_empty():
        return TableCursor(max_id, old.max_updated_at, old.ids_at_max_updated)
    newest = max(s for s in [old.max_updated_at, events.get_column(NOCODB_UPDATED).max()] if s)
    at_newest = set(events.filter(pl.col(NOCODB_UPDATED) == newest).get_column(NOCODB_ID))
    if newest == old.max_updated_at:
        at_newest |= set(old.ids_at_max_updated)
    return TableCursor(max_id, newest, tuple(sorted(at_newest)))


def _run_key(partition_key: str, maxima: Mapping[str, tuple[int, str | None]]) -> str:
    parts = [partition_key]
    for kind in TABLE_KINDS:
        if kind in maxima:
            max_id, newest = maxima[kind]
            parts.append(f"{kind}:{max_id}@{newest or '-'}")
    return "nocodb|" + "|".join(parts)


def _merge(a: tuple[int, str | None], b: tuple[int, str | None]) -> tuple[int, str | None]:
    stamps = [s for s in (a[1], b[1]) if s]
    return max(a[0], b[0]), (max(stamps) if stamps else None)


def plan_runs(
    changes: Mapping[str, Changes],
    cursor: SensorCursor,
    first_partition: str,
    last_partition: str | None,
) -> Plan:
    """Turn new/edited rows into one run request per daily partition they touch.

    `first_partition`..`last_partition` are the partitions that exist now (`last_partition`
    is None before the first day has ended). Rows of later days wait in `pending`.
    """
    per_partition: Pending = {}
    unmappable: list[pl.DataFrame] = []
    tables: dict[str, TableCursor] = dict(cursor.tables)
    rows_seen = 0
    for kind, change in changes.items():
        rows = pl.concat([change.new_rows, change.edited_rows]).with_columns(
            partition=pl.col("created_at")
            .str.to_datetime("%Y-%m-%d %H:%M:%S%#z", strict=False, time_zone="UTC")
            .dt.date()
            .cast(pl.String)
        )
        rows_seen += rows.height
        bad = rows.filter(pl.col("partition").is_null() | (pl.col("partition") < first_partition))
        if bad.height:
            unmappable.append(bad.select(pl.lit(kind).alias("table"), NOCODB_ID, "created_at"))
        grouped = (
            rows.filter(pl.col("partition") >= first_partition)
            .group_by("partition")
            .agg(pl.col(NOCODB_ID).max().alias("max_id"), pl.col(NOCODB_UPDATED).max())
        )
        for partition, max_id, newest in grouped.iter_rows():
            entry = per_partition.setdefault(partition, {})
            entry[kind] = _merge(entry.get(kind, (0, None)), (int(max_id), newest))
        tables[kind] = _advance(cursor.table(kind), change)

    for partition, kinds in cursor.pending.items():
        entry = per_partition.setdefault(partition, {})
        for kind, maxima in kinds.items():
            entry[kind] = _merge(entry.get(kind, (0, None)), maxima)

    runs: list[PlannedRun] = []
    pending: Pending = {}
    for partition in sorted(per_partition):
        maxima = per_partition[partition]
        if last_partition is not None and partition <= last_partition:
            runs.append(PlannedRun(partition, _run_key(partition, maxima), maxima))
        else:
            pending[partition] = maxima
    schema = {"table": pl.String(), NOCODB_ID: pl.Int64(), "created_at": pl.String()}
    return Plan(
        runs=runs,
        cursor=SensorCursor(tables=tables, pending=pending),
        rows_seen=rows_seen,
        unmappable=pl.concat(unmappable) if unmappable else pl.DataFrame(schema=schema),
    )


# --- the sensor ------------------------------------------------------------------------------


def _existing_partitions(now: datetime) -> tuple[str, str | None]:
    with partition_loading_context(effective_dt=now):
        first = DAILY_PARTITIONS.get_first_partition_key()
        last = DAILY_PARTITIONS.get_last_partition_key()
    if first is None:
        raise ValueError("DAILY_PARTITIONS has no start")
    return first, last


def evaluate_nocodb_sensor(
    context: SensorEvaluationContext,
    source: NocoDBResource,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SensorResult | SkipReason:
    """One tick: read changes after the cursor, plan runs, return them with the new cursor."""
    cursor = SensorCursor.from_json(context.cursor)
    max_rows = get_settings().nocodb_sensor_max_rows
    changes = {
        kind: source.fetch_changes(
            kind,
            after_id=cursor.table(kind).max_id,
            updated_since=cursor.table(kind).max_updated_at,
            exclude_ids_at_since=cursor.table(kind).ids_at_max_updated,
            max_rows=max_rows,
        )
        for kind in TABLE_KINDS
    }
    first, last = _existing_partitions(now())
    plan = plan_runs(changes, cursor, first, last)
    if plan.unmappable.height:
        ids = plan.unmappable.head(20).to_dicts()
        context.log.warning(
            f"nocodb_new_rows: {plan.unmappable.height} rows have a created_at before "
            f"{first} or none that can be read; no daily partition can ingest them: {ids}"
        )
    new_cursor = plan.cursor.to_json()
    requests = [
        RunRequest(
            run_key=run.run_key,
            partition_key=run.partition_key,
            tags={
                "nocodb/trigger": "nocodb_new_rows",
                **{f"nocodb/{kind}_max_id": str(m[0]) for kind, m in run.maxima.items()},
            },
        )
        for run in plan.runs
    ]
    if not requests:
        reason = f"no new or edited rows in NocoDB after {context.cursor or 'the start'}"
        if plan.cursor.pending:
            reason = (
                f"rows waiting for partitions that do not exist yet: {sorted(plan.cursor.pending)}"
            )
        if new_cursor == (context.cursor or SensorCursor().to_json()):
            return SkipReason(reason)
        return SensorResult(run_requests=[], cursor=new_cursor, skip_reason=reason)
    context.log.info(
        f"nocodb_new_rows: {plan.rows_seen} new/edited rows -> runs for "
        f"{[r.partition_key for r in plan.runs]}"
    )
    return SensorResult(run_requests=requests, cursor=new_cursor)


@sensor(
    name="nocodb_new_rows",
    job=ingestion_job,
    minimum_interval_seconds=get_settings().nocodb_sensor_interval_s,
    default_status=(
        DefaultSensorStatus.RUNNING
        if get_settings().source == "nocodb"
        else DefaultSensorStatus.STOPPED
    ),
    description=(
        "Polls the NocoDB tables for new rows (Id above the cursor) and edited rows "
        "(UpdatedAt after the cursor) and launches `ingest_raw` for exactly the daily "
        "partitions they fall into. Interval: NOCODB_SENSOR_INTERVAL_S."
    ),
)
def nocodb_new_rows(
    context: SensorEvaluationContext, source: SourceResource
) -> SensorResult | SkipReason:
    if not isinstance(source, NocoDBResource):
        return SkipReason(
            f"the configured source is {source.source_name}, not NocoDB (ANALYTICS_SOURCE)"
        )
    return evaluate_nocodb_sensor(context, source)


SENSORS = [nocodb_new_rows]
