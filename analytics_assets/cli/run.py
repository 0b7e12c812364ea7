"""`analytics-assets run`: the main job on whatever is configured (embedded defaults by default).

It materializes the whole asset graph for recent days on the Dagster instance in
`DAGSTER_HOME` (so the runs show up in `make ui`), then prints what it did:

1. every daily-partitioned asset for the day range, as ONE run (single-run backfill);
2. the weekly and monthly reports whose periods lie completely inside that range.

The default range is the last `--days` complete UTC days, extended back to the Monday of the
last complete ISO week, so a fresh `make run` always has one complete week to report on.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetKey,
    DagsterInstance,
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from analytics_assets.settings import get_settings

# Dagster's run tags for a partition and a partition range (public names in its docs; the
# constants themselves live in a private module).
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_NAME_TAG = "dagster/partition"


@dataclass(frozen=True)
class Plan:
    days: list[str]
    weeks: list[str]
    months: list[str]


def plan_range(today: date, days: int, start: date, *, complete_week: bool = True) -> Plan:
    """Which daily/weekly/monthly partitions a run covers (pure, so it is tested directly)."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    last = today - timedelta(days=1)
    first = today - timedelta(days=days)
    if complete_week:
        # Monday of the last ISO week that ended before today.
        last_sunday = today - timedelta(days=today.isoweekday() % 7 or 7)
        first = min(first, last_sunday - timedelta(days=6))
    first = max(first, start)
    if first > last:
        raise ValueError(f"no complete day between {start} and {today}")
    all_days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weeks = [
        d.isoformat() for d in all_days if d.isoweekday() == 1 and d + timedelta(days=6) <= last
    ]
    months = []
    for d in all_days:
        if d.day == 1:
            next_month = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
            if next_month - timedelta(days=1) <= last:
                months.append(d.isoformat())
    return Plan(days=[d.isoformat() for d in all_days], weeks=weeks, months=months)


def _assets_by_partitioning(defs) -> dict[str, list[AssetKey]]:
    graph = defs.resolve_asset_graph()
    groups: dict[str, list[AssetKey]] = {"daily": [], "weekly": [], "monthly": [], "none": []}
    for key in graph.materializable_asset_keys:
        pdef = graph.get(key).partitions_def
        if isinstance(pdef, DailyPartitionsDefinition):
            groups["daily"].append(key)
        elif isinstance(pdef, WeeklyPartitionsDefinition):
            groups["weekly"].append(key)
        elif isinstance(pdef, MonthlyPartitionsDefinition):
            groups["monthly"].append(key)
        elif pdef is None:
            groups["none"].append(key)
    return groups


def _execute(
    defs,
    keys: list[AssetKey],
    instance: DagsterInstance,
    tags: dict[str, str],
    partition_key: str | None = None,
) -> tuple[bool, float]:
    job = defs.resolve_implicit_job_def_def_for_assets(keys)
    started = time.perf_counter()
    if get_settings().executor == "celery":
        success = _execute_on_workers(job.name, keys, instance, tags, partition_key)
        return success, time.perf_counter() - started
    result = job.execute_in_process(
        instance=instance,
        asset_selection=keys,
        partition_key=partition_key,
        tags=tags,
        raise_on_error=False,
        # Step-by-step DEBUG events stay in the instance (see `make ui`); the terminal gets
        # warnings, errors and the summary below.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    return result.success, time.perf_counter() - started


def _execute_on_workers(
    job_name: str,
    keys: list[AssetKey],
    instance: DagsterInstance,
    tags: dict[str, str],
    partition_key: str | None,
) -> bool:
    """The same run through the job's own executor (celery): steps go to the workers.

    `execute_in_process` always runs steps in this process, so the job is re-loaded by
    reference (module `analytics_assets.definitions`), which is how the workers load it too.
    """
    from dagster import build_reconstructable_job, execute_job

    recon = build_reconstructable_job(
        "analytics_assets.definitions",
        "job_by_name",
        reconstructable_args=(job_name,),
        reconstructor_working_directory=os.getcwd(),
    )
    run_tags = dict(tags)
    if partition_key is not None:
        run_tags[PARTITION_NAME_TAG] = partition_key
    result = execute_job(
        recon,
        instance=instance,
        asset_selection=keys,
        tags=run_tags,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    return result.success


def _rows_per_asset(instance: DagsterInstance, keys: list[AssetKey], partitions: list[str]) -> dict:
    """Rows per asset over the partitions just materialized, read back from the event log.

    A single-run backfill records one event per partition that all carry the run's total
    (`rows_in_run`); a single-partition run records `dagster/row_count`.
    """
    out: dict[str, int] = {}
    for key in keys:
        seen: dict[str, int] = {}
        run_totals: dict[str, int] = {}
        for event in instance.fetch_materializations(key, limit=len(partitions) * 4 + 10).records:
            mat = event.asset_materialization
            if mat is None or mat.partition not in partitions or mat.partition in seen:
                continue
            if "rows_in_run" in mat.metadata:
                run_totals.setdefault(event.run_id, int(mat.metadata["rows_in_run"].value))
                seen[mat.partition] = 0
            elif "dagster/row_count" in mat.metadata:
                seen[mat.partition] = int(mat.metadata["dagster/row_count"].value)
        if seen:
            out[key.to_user_string()] = sum(seen.values()) + sum(run_totals.values())
    return out


def handle(args: argparse.Namespace) -> int:
    from analytics_assets.definitions import defs

    settings = get_settings()
    today = date.fromisoformat(args.today) if args.today else datetime.now(UTC).date()
    plan = plan_range(today, args.days, settings.partitions_start, complete_week=not args.no_week)
    instance = DagsterInstance.get()
    groups = _assets_by_partitioning(defs)
    print(
        f"analytics-assets run: source={settings.source} days={plan.days[0]}..{plan.days[-1]} "
        f"({len(plan.days)}) weeks={plan.weeks or '-'} months={plan.months or '-'} "
        f"executor={get_settings().executor}"
    )
    ok = True
    summary: list[tuple[str, str, bool, float]] = []
    if groups["daily"]:
        tags = {
            ASSET_PARTITION_RANGE_START_TAG: plan.days[0],
            ASSET_PARTITION_RANGE_END_TAG: plan.days[-1],
        }
        success, seconds = _execute(defs, groups["daily"], instance, tags)
        summary.append(("daily assets", f"{plan.days[0]}..{plan.days[-1]}", success, seconds))
        ok &= success
    for kind, keys in (("weekly", plan.weeks), ("monthly", plan.months)):
        if not groups[kind] or not ok:
            continue
        for key in keys:
            success, seconds = _execute(defs, groups[kind], instance, {}, partition_key=key)
            summary.append((f"{kind} assets", key, success, seconds))
            ok &= success

    print("\nruns:")
    for what, partitions, success, seconds in summary:
        print(f"  {'ok    ' if success else 'FAILED'} {what:<16} {partitions:<24} {seconds:6.1f} s")
    print("\nrows per asset:")
    rows = _rows_per_asset(instance, groups["daily"], plan.days)
    rows |= _rows_per_asset(instance, groups["weekly"], plan.weeks)
    rows |= _rows_per_asset(instance, groups["monthly"], plan.months)
    for name, count in sorted(rows.items()):
        print(f"  {name:<28} {count:>10,}")
    print("\nwhere the data lies:")
    print(f"  Parquet lake     {settings.lake}")
    print(
        "  MongoDB          "
        + (
            f"database {settings.mongodb_database} at MONGODB_URI"
            if settings.mongodb_uri
            else f"embedded server under {settings.mongo_embedded_path}, database "
            f"{settings.mongodb_database}"
        )
    )
    print(f"  Dagster instance {instance.root_directory}  (open it with `make ui`)")
    if not ok:
        print("\nsome runs failed: open `make ui` or see the log above")
    return 0 if ok else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="materialize the asset graph for recent days and print a summary",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--days", type=int, default=7, help="complete UTC days to cover (7)")
    parser.add_argument("--today", help="pretend today is this ISO date (for reproducible runs)")
    parser.add_argument(
        "--no-week",
        action="store_true",
        help="do not extend the range back to the last complete ISO week",
    )
    parser.set_defaults(handler=handle)
