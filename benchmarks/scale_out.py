"""Benchmark: a multi-day backfill in-process against the celery executor with N workers.

    .venv/bin/python benchmarks/scale_out.py [--days 14] [--messages-per-day 200000] \
        [--workers 2] [--today 2026-11-20] [--broker redis://127.0.0.1:6379/14] [--keep]

Both modes run in the same invocation, one after the other, on the same machine, with the same
demo data (same seed), each on a fresh lake, embedded MongoDB and Dagster instance (the local
`dagster.yaml`, SQLite) in a temp folder:

* **baseline, in-process**: the daily range run of `analytics-assets run --days N` (what
  `make run` does): every daily asset over the whole range as ONE single-run backfill, steps
  one after another in the run's own process;
* **celery**: the same run with `ANALYTICS_EXECUTOR=celery` and `--workers` worker
  processes (`analytics-assets worker --concurrency 1` each, as the README starts them, on
  queues with a prefix of this run's own), so independent steps run side by side.

Reported per mode, from the instance's event log: the run's wall time; per step, its duration
(`STEP_START` to `STEP_SUCCESS`) and, for celery, the time from the executor submitting the
task to the worker starting the step (queueing + the worker's task set-up: what distribution
costs per step); the run's orchestration overhead (wall time minus the busiest step chain is
not well defined with parallel steps, so the figure given is wall time minus the sum of step
durations for in-process, and the per-step submit-to-start latency for celery). Both lakes are
then compared with `lake_fingerprint.py` (rows and MongoDB documents must match).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import lake_fingerprint  # noqa: E402  (a sibling script, not a package)

OWN_PREFIXES = ("ANALYTICS_", "CELERY_", "DEMO_", "MONGO", "DAGSTER_", "PARTITIONS_")


def mode_env(tmp: Path, args: argparse.Namespace, celery: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    home = tmp / "home"
    home.mkdir(parents=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env |= {
        "DAGSTER_HOME": str(home),
        "ANALYTICS_DATA_DIR": str(tmp / "data"),
        "ANALYTICS_SOURCE": "demo",
        "DEMO_MESSAGES_PER_DAY": str(args.messages_per_day),
        "TRANSLATOR": "none",
        "PARTITIONS_START_DATE": "2025-01-01",
    }
    if celery:
        env |= {
            "ANALYTICS_EXECUTOR": "celery",
            "CELERY_BROKER_URL": args.broker,
            "CELERY_RESULT_BACKEND": args.backend,
            "CELERY_QUEUE_PREFIX": f"bench-{uuid.uuid4().hex[:8]}-",
        }
    return env


def start_workers(
    env: dict[str, str], count: int, tmp: Path, workers: list[subprocess.Popen]
) -> None:
    """Start `count` workers into `workers` (the caller stops them, even when this fails)."""
    for i in range(count):
        log = (tmp / f"worker-{i}.log").open("w")
        workers.append(
            subprocess.Popen(
                [str(BIN / "analytics-assets"), "worker", "--concurrency", "1"]
                + ["--name", f"bench-{i}", "--loglevel", "INFO"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 300
    for i, worker in enumerate(workers):
        while "ready." not in (tmp / f"worker-{i}.log").read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / f"worker-{i}.log").read_text()[-3000:])
            time.sleep(1)


def stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def step_timings(env: dict[str, str]) -> dict[str, Any]:
    """Wall time of the range run and per-step figures, read from the instance."""
    code = r"""
import json
from dagster import DagsterEventType, DagsterInstance
instance = DagsterInstance.get()
runs = [r for r in instance.get_runs() if r.tags.get("dagster/asset_partition_range_start")]
(run,) = runs
record = instance.get_run_record_by_id(run.run_id)
start, submit, done = {}, {}, {}
for entry in instance.all_logs(run.run_id):
    event = entry.dagster_event
    if event is None:
        continue
    key = event.step_key
    if event.event_type == DagsterEventType.STEP_START:
        start[key] = entry.timestamp
    elif event.event_type == DagsterEventType.STEP_SUCCESS:
        done[key] = entry.timestamp
    elif event.event_type == DagsterEventType.ENGINE_EVENT and key and "celery task" in (
        entry.user_message or ""
    ).lower() and "submitting" in (entry.user_message or "").lower():
        submit.setdefault(key, entry.timestamp)
print(json.dumps({
    "status": run.status.value,
    "wall_s": record.end_time - record.start_time,
    "steps": {k: {"duration_s": done[k] - start[k],
                  "submit_to_start_s": (start[k] - submit[k]) if k in submit else None}
              for k in sorted(done)},
}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# The daily range run, as `analytics-assets run --no-week` starts it, without the weekly and
# monthly runs. Celery runs re-load the job by reference through the repository (the path of
# analytics_assets_tests/fixtures/run_job.py): `analytics-assets run` on main re-loads it with
# `build_reconstructable_job`, which refuses the implicit `__ASSET_JOB` (reported, not fixed
# here).
RANGE_RUN = r"""
import os, sys
from dagster import DagsterInstance, DailyPartitionsDefinition, execute_job
from dagster._core.definitions.reconstruct import ReconstructableRepository
from analytics_assets.definitions import defs
from analytics_assets.settings import get_settings
first, last = sys.argv[1], sys.argv[2]
graph = defs.resolve_asset_graph()
keys = [k for k in graph.materializable_asset_keys
        if isinstance(graph.get(k).partitions_def, DailyPartitionsDefinition)]
job = defs.resolve_implicit_job_def_def_for_assets(keys)
tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
with DagsterInstance.get() as instance:
    if get_settings().executor == "celery":
        recon = ReconstructableRepository.for_module(
            "analytics_assets.definitions", "defs", working_directory=os.getcwd()
        ).get_reconstructable_job(job.name)
        ok = execute_job(recon, instance=instance, asset_selection=keys, tags=tags,
                         run_config=config).success
    else:
        ok = job.execute_in_process(instance=instance, asset_selection=keys, tags=tags,
                                    run_config=config, raise_on_error=False).success
sys.exit(0 if ok else 1)
"""


def run_mode(tmp: Path, args: argparse.Namespace, celery: bool) -> dict[str, Any]:
    env = mode_env(tmp, args, celery)
    today = date.fromisoformat(args.today)
    first, last = (
        (today - timedelta(days=args.days)).isoformat(),
        (today - timedelta(1)).isoformat(),
    )
    workers: list[subprocess.Popen] = []
    try:
        if celery:
            start_workers(env, args.workers, tmp, workers)
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", RANGE_RUN, first, last],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        command_s = time.perf_counter() - started
    finally:
        stop(workers)
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])
    timings = step_timings(env)
    timings["command_s"] = command_s
    timings["fingerprint"] = lake_fingerprint.fingerprint(tmp / "data", None)
    subprocess.run(
        [sys.executable, "-m", "analytics_assets.storage.mongo", "stop"], env=env, cwd=ROOT
    )
    return timings


def report(args: argparse.Namespace, modes: dict[str, dict[str, Any]]) -> None:
    base, dist = modes["in-process"], modes["celery"]
    print(
        f"\n{args.days} days x {args.messages_per_day:,} messages/day, "
        f"celery with {args.workers} workers\n"
    )
    print("| step | in-process (s) | celery (s) | celery submit-to-start (s) |")
    print("|---|---|---|---|")
    for step in sorted(base["steps"], key=lambda k: -base["steps"][k]["duration_s"]):
        a, b = base["steps"][step], dist["steps"].get(step, {})
        latency = b.get("submit_to_start_s")
        print(
            f"| {step} | {a['duration_s']:.1f} | {b.get('duration_s', float('nan')):.1f} | "
            + (f"{latency:.1f} |" if latency is not None else "- |")
        )
    for name, mode in modes.items():
        busy = sum(s["duration_s"] for s in mode["steps"].values())
        print(
            f"| **{name} run wall** | {mode['wall_s']:.1f} | sum of steps {busy:.1f} | "
            f"command {mode['command_s']:.1f} |"
        )
    latencies = [
        s["submit_to_start_s"] for s in dist["steps"].values() if s["submit_to_start_s"] is not None
    ]
    base_busy = sum(s["duration_s"] for s in base["steps"].values())
    print(
        f"\nin-process overhead (run wall - sum of steps): {base['wall_s'] - base_busy:.1f} s; "
        f"celery submit-to-start per step: median {statistics.median(latencies):.2f} s, "
        f"max {max(latencies):.2f} s over {len(latencies)} steps; "
        f"celery/in-process wall ratio {dist['wall_s'] / base['wall_s']:.2f}"
    )
    same = base["fingerprint"] == dist["fingerprint"]
    print(
        f"lake + MongoDB fingerprints equal: {same} "
        f"({len(base['fingerprint']['tables'])} files, "
        f"{len(base['fingerprint']['mongo'])} collections)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--messages-per-day", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--today", default="2026-11-20")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--backend", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--keep", action="store_true", help="keep the temp folders")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    date.fromisoformat(args.today) - timedelta(days=args.days)  # validates --today
    root = Path(tempfile.mkdtemp(prefix="scale-out-"))
    modes: dict[str, dict[str, Any]] = {}
    try:
        for name, celery in (("in-process", False), ("celery", True)):
            print(f"{name}: running ...", flush=True)
            modes[name] = run_mode(root / name, args, celery)
            print(f"{name}: run wall {modes[name]['wall_s']:.1f} s", flush=True)
            if args.json:  # what is measured survives a later failure
                Path(args.json).write_text(json.dumps(modes, indent=1, default=str))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report(args, modes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
