"""Benchmark: the whole daily asset graph over one day of 1M demo messages, wall time per asset.

Everything real and embedded: the demo source (`DEMO_MESSAGES_PER_DAY`), the Parquet IO manager
on a temporary lake, the embedded MongoDB in a temporary folder, an ephemeral Dagster instance,
the in-process executor (steps run one after the other, so each step's duration is its own).
Every daily-partitioned asset of `definitions.defs` is materialized for one day in one run; the
per-asset time is the `STEP_SUCCESS` duration Dagster records (inputs loaded, computation,
MongoDB writes, Parquet written, checks).

Baseline measured in the same run: the daily report's figures (messages, conversations, users,
tokens, cost, p50/p95 latency, errors, per-model messages and cost) computed the way the
replaced system did it: a Python loop over the rows with dict accumulators, on the same day's
`raw_messages` read back from the lake. The Polars side is `analytics.reports.build_report`
(all report fields, including the breakdowns) on the same rows, after the same preparation.
The ratio of the two is the number to compare across machines; absolute seconds depend on the
machine and its load.

`--days N` materializes N consecutive days (from `--day`) in ONE run as a partition range
(`dagster/asset_partition_range_start`/`_end` tags): every asset is `BackfillPolicy.single_run()`,
so each step processes the whole range once (one process, one JAX compile, one vocabulary
load). The serving assets (`defs/serving/`, the MongoDB documents) run in a second run after the
lake run (`--lake-only` skips it), each timed on its own line.
Peak resident memory of this process is printed (the embedded MongoDB server is a separate,
detached process and not included).

Run: `.venv/bin/python benchmarks/graph_1m.py` (options: `--messages`, `--day`, `--days`,
`--keep`).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl


def _configure(tmp: Path, messages: int) -> None:
    """Point every embedded default at `tmp` before the code location is imported."""
    os.environ["ANALYTICS_SOURCE"] = "demo"
    os.environ["ANALYTICS_DATA_DIR"] = str(tmp)
    os.environ["ANALYTICS_LAKE"] = str(tmp / "lake")
    os.environ["MONGO_EMBEDDED_PATH"] = str(tmp / "mongo")
    os.environ["MONGODB_URI"] = ""
    os.environ["DEMO_MESSAGES_PER_DAY"] = str(messages)
    os.environ.setdefault("TRANSLATOR", "none")


def run_graph(
    day: str, days: int = 1, serving: bool = True
) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, float], bool]:
    """Materialize every daily asset of the code location for `days` days from `day`: the lake
    assets in one run, then (unless `serving` is False) the serving assets (`defs/serving/`,
    MongoDB documents) in a second run on the same instance, as the automation sensor would
    launch them once the lake partitions exist. Seconds per asset and per run."""
    from datetime import timedelta

    from dagster import DagsterEventType, DagsterInstance, DailyPartitionsDefinition

    from analytics_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = [
        k
        for k in graph.materializable_asset_keys
        if isinstance(graph.get(k).partitions_def, DailyPartitionsDefinition)
    ]
    lake_keys = [k for k in keys if not k.to_user_string().startswith("serving_")]
    serving_keys = [k for k in keys if k not in lake_keys]
    phases = {"lake run": lake_keys}
    if serving and serving_keys:
        phases["serving run"] = serving_keys
    last = (date.fromisoformat(day) + timedelta(days=days - 1)).isoformat()
    where = (
        {"partition_key": day}
        if days == 1
        else {
            "tags": {
                "dagster/asset_partition_range_start": day,
                "dagster/asset_partition_range_end": last,
            }
        }
    )
    per_step: dict[str, float] = {}
    split: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    ok = True
    with DagsterInstance.ephemeral() as instance:
        for phase, selection in phases.items():
            job = defs.resolve_implicit_job_def_def_for_assets(selection)
            started = time.perf_counter()
            result = job.execute_in_process(
                instance=instance,
                asset_selection=selection,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                **where,
            )
            totals[phase] = time.perf_counter() - started
            ok = ok and result.success
            for record in instance.all_logs(result.run_id):
                event = record.dagster_event
                if event is None:
                    continue
                if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                    materialization = event.event_specific_data.materialization
                    metadata = materialization.metadata
                    parts = {
                        name: float(metadata[key].value)
                        for name, key in (
                            ("compute", "compute_seconds"),
                            ("mongo", "mongo_seconds"),
                            ("compile", "compile_seconds"),
                            ("vocabulary", "vocabulary_load_seconds"),
                        )
                        if key in metadata
                    }
                    if parts:
                        split[materialization.asset_key.to_user_string()] = parts
                if event.event_type == DagsterEventType.STEP_SUCCESS:
                    per_step[event.step_key] = event.step_success_data.duration_ms / 1000
                if event.event_type == DagsterEventType.STEP_FAILURE:
                    per_step[event.step_key] = float("nan")
                    print(f"step {event.step_key} failed: {event.step_failure_data.error}")
    return per_step, split, totals, ok


def python_rows_report(rows: list[dict]) -> dict:
    """The replaced system's way: one pass over Python dicts with accumulators, then sort."""
    conversations: set[str] = set()
    users: set[str] = set()
    tokens_in = tokens_out = errors = 0
    cost = 0.0
    latencies: list[float] = []
    models: dict[str, dict[str, float]] = {}
    for row in rows:
        conversations.add(row["conversation_id"])
        if row["from_end_user_id"]:
            users.add(row["from_end_user_id"])
        tokens_in += row["message_tokens"] or 0
        tokens_out += row["answer_tokens"] or 0
        cost += row["total_price"] or 0.0
        if row["provider_response_latency"] is not None:
            latencies.append(row["provider_response_latency"])
        if row["status"] == "error" or (row["error"] or "").strip():
            errors += 1
        model = models.setdefault(row["model_id"] or "unknown", {"messages": 0, "cost": 0.0})
        model["messages"] += 1
        model["cost"] += row["total_price"] or 0.0
    latencies.sort()

    def linear(q: float) -> float | None:
        if not latencies:
            return None
        pos = q * (len(latencies) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(latencies) - 1)
        return latencies[lo] + (latencies[hi] - latencies[lo]) * (pos - lo)

    return {
        "messages": len(rows),
        "conversations": len(conversations),
        "users": len(users),
        "total_tokens": tokens_in + tokens_out,
        "total_cost": cost,
        "latency_p50": linear(0.5),
        "latency_p95": linear(0.95),
        "error_messages": errors,
        "by_model": models,
    }


def compare_report(lake: Path, day: str, repeat: int) -> dict[str, float]:
    """Polars `build_report` vs the per-row Python loop on the same day's raw rows."""
    from analytics_assets.defs.analytics.prepare import RAW_MESSAGE_COLUMNS, prepare_messages
    from analytics_assets.defs.reports.build import build_report, period_for
    from analytics_assets.settings import get_settings

    raw = pl.read_parquet(lake / "raw_messages" / f"date={day}" / "part-0.parquet").select(
        RAW_MESSAGE_COLUMNS
    )
    labels_path = lake / "categorized_messages" / f"date={day}" / "part-0.parquet"
    labels = pl.read_parquet(labels_path) if labels_path.exists() else None
    period = period_for("daily", date.fromisoformat(day))
    key = get_settings().pseudonym_key

    polars_times, prepare_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        prepared = prepare_messages(raw, labels, None, key)
        prepare_times.append(time.perf_counter() - started)
        report = build_report(prepared, period)
        polars_times.append(time.perf_counter() - started)

    started = time.perf_counter()
    rows = raw.to_dicts()
    baseline = python_rows_report(rows)
    python_time = time.perf_counter() - started

    # Same numbers, or the comparison means nothing.
    assert baseline["messages"] == report["messages"]
    assert baseline["users"] == report["users"]
    assert baseline["total_tokens"] == report["total_tokens"]
    assert abs(baseline["latency_p95"] - report["latency_p95"]) < 1e-9
    polars_time = statistics.median(polars_times)
    return {
        "rows": float(raw.height),
        "polars_s": polars_time,
        "prepare_s": statistics.median(prepare_times),
        "python_rows_s": python_time,
        "ratio": python_time / polars_time,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000, help="demo messages per day")
    parser.add_argument("--day", default="2025-03-04", help="the UTC day to materialize")
    parser.add_argument("--days", type=int, default=1, help="days in the one run (a range)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the Polars report")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--lake-only", action="store_true", help="skip the serving run (MongoDB documents)"
    )
    args = parser.parse_args(argv)

    logging.getLogger("dagster").setLevel(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="graph_1m_"))
    _configure(tmp, args.messages)
    try:
        per_step, split, totals, ok = run_graph(args.day, args.days, not args.lake_only)
        import resource

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"\nwhole graph, {args.days} day(s) of {args.messages:,} demo messages from "
            f"{args.day} in one run:"
        )
        print("| asset (step) | wall time (s) |\n|---|---|")
        for step, seconds in sorted(per_step.items(), key=lambda kv: -kv[1]):
            print(f"| {step} | {seconds:.1f} |")
        for phase, seconds in totals.items():
            print(f"| **{phase}** (incl. run start/stop) | {seconds:.1f} |")
        print(f"peak resident memory of this process: {peak_mb:,.0f} MB")
        for asset_name, parts in sorted(split.items()):
            print(f"  {asset_name}: " + ", ".join(f"{k} {v:.1f} s" for k, v in parts.items()))
        if not ok:
            print("the run FAILED: see the failed steps above", file=sys.stderr)
            return 1
        if args.repeat < 1:
            return 0
        cmp = compare_report(tmp / "lake", args.day, args.repeat)
        print(
            f"\ndaily report figures over {int(cmp['rows']):,} rows: Polars build_report "
            f"{cmp['polars_s']:.2f} s (median of {args.repeat}; of which prepare, incl. keyed "
            f"hashing of user ids, {cmp['prepare_s']:.2f} s) vs per-row Python "
            f"{cmp['python_rows_s']:.2f} s -> {cmp['ratio']:.1f}x"
        )
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            from analytics_assets.storage.mongo import close_clients, embedded

            close_clients()
            embedded.stop_server(tmp / "mongo")
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
