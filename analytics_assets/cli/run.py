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
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterInvalidConfigError,
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from analytics_assets.cli.failures import RunOutcome, describe_failure, step_failures
from analytics_assets.cli.instance import ensure_dagster_home
from analytics_assets.cli.stale_runs import fail_runs_of_dead_processes, process_tags
from analytics_assets.settings import get_settings

EXIT_USAGE = 2

# Dagster's run tags for a partition and a partition range (public names in its docs; the
# constants themselves live in a private module).
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_NAME_TAG = "dagster/partition"
# Every step event, stack traces included, stays in the instance's event log (`make ui`); the
# terminal gets the summary, which names what failed in one paragraph (cli/failures.py).
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


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
) -> RunOutcome:
    job = defs.resolve_implicit_job_def_def_for_assets(keys)
    started = time.perf_counter()
    # Names this process, so a later `run` can tell the run was orphaned if it dies.
    tags = tags | process_tags()
    try:
        if get_settings().executor == "celery":
            success, run_id = _execute_on_workers(keys, instance, tags, partition_key)
        else:
            result = job.execute_in_process(
                instance=instance,
                asset_selection=keys,
                partition_key=partition_key,
                tags=tags,
                raise_on_error=False,
                run_config=QUIET_CONSOLE,
            )
            success, run_id = result.success, result.run_id
    except DagsterInvalidConfigError as exc:
        # Raised before a run exists (e.g. an EnvVar of a resource is not set): no event log
        # to point at, so the first line of Dagster's message is the whole story.
        return RunOutcome(False, time.perf_counter() - started, None, config_error=_first(exc))
    return RunOutcome(success, time.perf_counter() - started, run_id)


def _first(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = next((line for line in lines if "Error 1:" in line), lines[0] if lines else "")
    return detail.replace("Error 1: ", "")


def _execute_on_workers(
    keys: list[AssetKey],
    instance: DagsterInstance,
    tags: dict[str, str],
    partition_key: str | None,
) -> tuple[bool, str]:
    """The same run through the job's own executor (celery): steps go to the workers.

    `execute_in_process` always runs steps in this process, so the job is re-loaded by
    reference (module `analytics_assets.definitions`), which is how the workers load it too.
    """
    from dagster import build_reconstructable_job, execute_job

    recon = build_reconstructable_job(
        "analytics_assets.definitions",
        "job_for_assets",
        reconstructable_args=("analytics_assets_run", tuple(k.to_user_string() for k in keys)),
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
        run_config=QUIET_CONSOLE,
    )
    return result.success, result.run_id


def _rows_per_asset(
    instance: DagsterInstance, keys: list[AssetKey], partitions: list[str], run_ids: set[str]
) -> dict:
    """Rows per asset that the runs `run_ids` wrote, read back from the event log.

    Only this invocation's runs count, so a failed run never shows an earlier run's rows as if
    it had written them. A single-run backfill records one event per partition that all carry
    the run's total (`rows_in_run`); a single-partition run records `dagster/row_count`.
    """
    out: dict[str, int] = {}
    for key in keys:
        seen: dict[str, int] = {}
        run_totals: dict[str, int] = {}
        for event in instance.fetch_materializations(key, limit=len(partitions) * 4 + 10).records:
            mat = event.asset_materialization
            if event.run_id not in run_ids or mat is None:
                continue
            if mat.partition not in partitions or mat.partition in seen:
                continue
            if "rows_in_run" in mat.metadata:
                run_totals.setdefault(event.run_id, int(mat.metadata["rows_in_run"].value))
                seen[mat.partition] = 0
            elif "dagster/row_count" in mat.metadata:
                seen[mat.partition] = int(mat.metadata["dagster/row_count"].value)
        if seen:
            out[key.to_user_string()] = sum(seen.values()) + sum(run_totals.values())
    return out


def _usage_error(message: str) -> int:
    print(f"analytics-assets run: {message}", file=sys.stderr)
    return EXIT_USAGE


def handle(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        # `--today ""` is a mistake, not "today": only an absent option means the clock.
        today = (
            date.fromisoformat(args.today) if args.today is not None else datetime.now(UTC).date()
        )
    except ValueError as exc:
        return _usage_error(f"--today {args.today!r} is not a date (YYYY-MM-DD): {exc}")
    try:
        plan = plan_range(
            today, args.days, settings.partitions_start, complete_week=not args.no_week
        )
    except ValueError as exc:
        return _usage_error(str(exc))
    home = ensure_dagster_home(settings)
    from analytics_assets.definitions import defs

    instance = DagsterInstance.from_config(str(home))
    orphaned = fail_runs_of_dead_processes(instance)
    groups = _assets_by_partitioning(defs)
    print(
        f"analytics-assets run: source={settings.source} days={plan.days[0]}..{plan.days[-1]} "
        f"({len(plan.days)}) weeks={plan.weeks or '-'} months={plan.months or '-'} "
        f"executor={get_settings().executor}"
    )
    if orphaned:
        print(
            f"marked {len(orphaned)} run(s) of an earlier `run` process that died as failed: "
            + ", ".join(orphaned)
        )
    ok = True
    summary: list[tuple[str, str, list[str], list[AssetKey], RunOutcome]] = []
    if groups["daily"]:
        tags = {
            ASSET_PARTITION_RANGE_START_TAG: plan.days[0],
            ASSET_PARTITION_RANGE_END_TAG: plan.days[-1],
        }
        outcome = _execute(defs, groups["daily"], instance, tags)
        label = f"{plan.days[0]}..{plan.days[-1]}"
        summary.append(("daily assets", label, plan.days, groups["daily"], outcome))
        ok &= outcome.success
    for kind, keys in (("weekly", plan.weeks), ("monthly", plan.months)):
        if not groups[kind] or not ok:
            continue
        for key in keys:
            outcome = _execute(defs, groups[kind], instance, {}, partition_key=key)
            summary.append((f"{kind} assets", key, [key], groups[kind], outcome))
            ok &= outcome.success

    print("\nruns:")
    for what, partitions, _, _, outcome in summary:
        state = "ok    " if outcome.success else "FAILED"
        print(f"  {state} {what:<16} {partitions:<24} {outcome.seconds:6.1f} s")
    run_ids = {o.run_id for *_, o in summary if o.run_id}
    rows = _rows_per_asset(instance, groups["daily"], plan.days, run_ids)
    rows |= _rows_per_asset(instance, groups["weekly"], plan.weeks, run_ids)
    rows |= _rows_per_asset(instance, groups["monthly"], plan.months, run_ids)
    print("\nrows written by this run:" if ok else "\nrows written by this run (before it failed):")
    for name, count in sorted(rows.items()):
        print(f"  {name:<28} {count:>10,}")
    if not rows:
        print("  none")
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
    for _, label, partitions, _, outcome in summary:
        if outcome.success:
            continue
        failures = step_failures(instance, outcome.run_id) if outcome.run_id else []
        print("\n" + describe_failure(label, partitions, outcome, failures), file=sys.stderr)
    return 0 if ok else 1


def _days(text: str) -> int:
    """`--days` as typed: a whole number (checked against 1.. by `plan_range`)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="materialize the asset graph for recent days and print a summary",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--days", type=_days, default=7, help="complete UTC days to cover (7)")
    parser.add_argument("--today", help="pretend today is this ISO date (for reproducible runs)")
    parser.add_argument(
        "--no-week",
        action="store_true",
        help="do not extend the range back to the last complete ISO week",
    )
    parser.set_defaults(handler=handle)
