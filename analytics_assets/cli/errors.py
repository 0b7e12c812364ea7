"""`analytics-assets errors`: list the row-level processing errors stored in MongoDB.

    analytics-assets errors [--asset A] [--stage S] [--partition P]
                            [--status open|resolved|all] [--format table|json]
                            [--limit N] [--summary | --retry-plan]

Reads the `processing_errors` collection through the same `MongoResource` the assets use
(configured by `MONGODB_URI` / `MONGODB_DATABASE`, or the embedded server). Exits 0 with
"no open errors" when there is nothing to show, and 2 with a clear message (credentials
redacted) when MongoDB cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from analytics_assets.cli.output import plain, text_table
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.base import WRITE_ID
from analytics_assets.storage.mongo.embedded import EmbeddedServerError

EXIT_UNREACHABLE = 2

TABLE_COLUMNS = (
    "last_seen",
    "status",
    "asset",
    "partition",
    "stage",
    "reason",
    "record_id",
    "conversation_id",
    "attempts",
    "detail",
)  # message_id is the record id of a message row: in JSON, not repeated in the table
SUMMARY_COLUMNS = ("asset", "stage", "open", "partitions", "oldest_first_seen", "latest_last_seen")
MAX_CELL = 40
TRUNCATED = {"detail"}  # free text; ids, names and asset lists are shown whole


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "errors",
        help="list row-level processing errors (open by default)",
        description="List row-level processing errors recorded in MongoDB processing_errors, "
        "newest first. Retry them by re-materializing their partitions (docs/operations.md).",
    )
    parser.add_argument("--asset", help="only errors of this asset (e.g. raw_messages)")
    parser.add_argument("--stage", help="only errors of this stage (e.g. ingestion, translation)")
    parser.add_argument("--partition", help="only errors of this partition key (YYYY-MM-DD)")
    parser.add_argument(
        "--status",
        choices=("open", "resolved", "all"),
        default="open",
        help="which errors to list (default: open)",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--limit",
        type=_non_negative_int,
        default=100,
        help="at most this many errors (default 100; 0 = all)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--summary",
        action="store_true",
        help="print open error counts per asset and stage instead of single errors",
    )
    mode.add_argument(
        "--retry-plan",
        action="store_true",
        help="print, per partition with open errors, the assets to re-run and the dagster "
        "command that re-runs them (the manual form of retry_failed_rows_sensor)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds to wait for a MongoDB server given by MONGODB_URI (default 10)",
    )
    parser.set_defaults(handler=run)


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def redact(uri: str) -> str:
    """A connection string without its password, safe to print."""
    return re.sub(r"(?<=://)([^:/@]+):[^@/]*@", r"\1:***@", uri)


def check_reachable(mongo: MongoResource, timeout_s: float) -> None:
    """Fail fast on a configured server that does not answer; start the embedded one if needed.

    The resource's own client waits longer (it serves long runs); a person at a terminal
    should not wait that long to learn the server is down.
    """
    if mongo.uri:
        probe: MongoClient = MongoClient(
            mongo.uri, serverSelectionTimeoutMS=int(timeout_s * 1000), connect=True
        )
        try:
            probe.admin.command("ping")
        finally:
            probe.close()
    else:
        mongo.ping()


def query_errors(
    mongo: MongoResource,
    *,
    status: str,
    asset: str | None,
    stage: str | None,
    partition: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    repo = mongo.errors()
    if status == "open":
        return repo.open_errors(asset=asset, stage=stage, partition=partition, limit=limit or None)
    flt: dict[str, Any] = {}
    if status != "all":
        flt["status"] = status
    for name, value in (("asset", asset), ("stage", stage), ("partition", partition)):
        if value is not None:
            flt[name] = value
    return repo.find(
        flt,
        sort=[("last_seen", -1), ("asset", 1), ("partition", 1), ("record_id", 1)],
        limit=limit or None,
        projection={"_id": 0, WRITE_ID: 0},
    )


def retry_plan(
    mongo: MongoResource, *, asset: str | None, partition: str | None
) -> list[dict[str, Any]]:
    """What to re-materialize by hand: every partition with open errors of a retryable asset.

    The same grouping as the retry sensor, without its attempt limit (a person decides).
    """
    from analytics_assets.defs.errors.assets import (
        ASSET_NAME,
        ERROR_SOURCE_ASSETS,
        open_error_groups,
    )
    from analytics_assets.defs.errors.records import plan_retries

    groups = [
        g
        for g in open_error_groups(mongo)
        if (asset is None or g["asset"] == asset)
        and (partition is None or g["partition"] == partition)
    ]
    plan = plan_retries(
        groups,
        retryable_assets=ERROR_SOURCE_ASSETS,
        is_partition=lambda key: bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", key)),
        max_attempts=sys.maxsize,
        max_runs=sys.maxsize,
        always_include=(ASSET_NAME,),
    )
    rows = [
        {
            "partition": run.partition,
            "assets": ",".join(run.assets),
            "open": run.open_errors,
            "command": "dagster asset materialize -m analytics_assets.definitions "
            f"--select {','.join(run.assets)} --partition {run.partition}",
        }
        for run in plan.runs
    ]
    open_by_key = {(g["asset"], g["partition"]): g["open"] for g in groups}
    rows += [
        {
            "partition": p,
            "assets": a,
            "open": open_by_key.get((a, p)),
            "command": None,
            "note": "not an asset or partition the retry job runs: re-run it by hand",
        }
        for a, p in plan.not_retryable + plan.invalid_partitions
    ]
    return rows


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value).replace("\n", " ")
    if column not in TRUNCATED or len(text) <= MAX_CELL:
        return text
    return text[: MAX_CELL - 1] + "…"


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain fixed-width table (only the columns that have a value in some row)."""
    shown = [c for c in columns if any(row.get(c) not in (None, "") for row in rows)]
    return text_table(shown, [[_cell(row.get(c), c) for c in shown] for row in rows])


def _short_reason(exc: BaseException) -> str:
    """The first clause of a driver error, without pymongo's topology dump, redacted."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = re.sub(r"\s*\(configured timeouts:[^)]*\)", "", text).split(", Timeout:")[0]
    return redact(text)


def _empty_message(status: str) -> str:
    return {"open": "no open errors", "resolved": "no resolved errors"}.get(status, "no errors")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # `analytics-assets errors | head`: the reader left, not an error
        sys.stdout = open(os.devnull, "w")  # keeps the flush at exit quiet
        return 0


def _run(args: argparse.Namespace) -> int:
    mongo = MongoResource.from_settings(outside_dagster=True)
    where = (
        redact(mongo.uri) if mongo.uri else f"embedded server ({mongo.resolved_embedded_path()})"
    )
    try:
        check_reachable(mongo, args.timeout)
        if args.summary:
            rows = mongo.errors().summary()
            columns: Sequence[str] = SUMMARY_COLUMNS
        elif args.retry_plan:
            rows = retry_plan(mongo, asset=args.asset, partition=args.partition)
            columns = ("partition", "assets", "open", "note")
        else:
            rows = query_errors(
                mongo,
                status=args.status,
                asset=args.asset,
                stage=args.stage,
                partition=args.partition,
                limit=args.limit,
            )
            columns = TABLE_COLUMNS
    except (PyMongoError, EmbeddedServerError, OSError) as exc:
        message = _short_reason(exc)
        print(f"error: cannot reach MongoDB at {where}: {message}", file=sys.stderr)
        return EXIT_UNREACHABLE

    summary_like = args.summary or args.retry_plan
    empty = "no open errors" if summary_like else _empty_message(args.status)
    if args.format == "json":
        print(json.dumps(plain(rows), indent=2, ensure_ascii=False))
        if not rows:
            print(empty, file=sys.stderr)
        return 0
    if not rows:
        print(empty)
        return 0
    print(format_table(rows, columns))
    if args.retry_plan:
        commands = [f"  {row['command']}" for row in rows if row["command"]]
        if commands:
            print("\nTo re-run them now (or launch retry_failed_rows from the UI):")
            print("\n".join(commands))
    elif not args.summary:
        capped = args.limit and len(rows) == args.limit
        more = " (limit reached: use --limit 0 for all)" if capped else ""
        label = "" if args.status == "all" else f"{args.status} "
        print(f"\n{len(rows)} {label}errors{more}")
    return 0
