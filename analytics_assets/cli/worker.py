"""`analytics-assets worker`: a celery worker that executes the steps of celery-executor runs.

    analytics-assets worker [--queue default --queue scoring] [--concurrency N] [--name NAME]

Start workers before launching runs with `ANALYTICS_EXECUTOR=celery`; each consumes the queues
it is given (both by default). A GPU machine runs `--queue scoring` only, the rest `--queue
default`. The worker reads the same settings as everything else (`.env`, environment): the
broker and result backend (`CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND`), the queue prefix, and
the instance, lake and MongoDB its steps write to. It imports the code location once, before
forking its processes, so a step does not pay the import.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from analytics_assets.execution import QUEUES, celery_config
from analytics_assets.settings import Settings, get_settings


def build_app(settings: Settings | None = None) -> Any:
    """The celery app the executor sends to, with the three dagster-celery tasks registered.

    The executor builds its own app from `celery_config()`; this one is built from the same
    dict, with the URLs resolved (the executor resolves `{"env": ...}` itself).
    """
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import (
        create_execute_job_task,
        create_resume_job_task,
        create_task,
    )

    settings = settings or get_settings()
    config = celery_config(settings)
    executor = CeleryExecutor.for_cli(
        broker=settings.celery_broker_url,
        backend=settings.celery_result_backend,
        config_source=config["config_source"],
    )
    app = make_app(executor.app_args())
    create_task(app)
    create_execute_job_task(app)
    create_resume_job_task(app)
    return app


def worker_argv(args: argparse.Namespace, settings: Settings) -> list[str]:
    """Arguments of `celery worker` (pure, so the queue naming is tested without a broker)."""
    queues = args.queue or list(QUEUES)
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue(s) {unknown}; queues are {list(QUEUES)}")
    concurrency = args.concurrency or settings.celery_worker_concurrency or os.cpu_count() or 1
    name = args.name or f"analytics-{'-'.join(sorted(queues))}-{os.getpid()}"
    return [
        "worker",
        "--queues",
        ",".join(settings.queue(q) for q in queues),
        "--concurrency",
        str(concurrency),
        "--prefetch-multiplier",
        "1",
        "--hostname",
        f"{name}@%h",
        "--loglevel",
        args.loglevel,
        "--without-gossip",
        "--without-mingle",
    ]


def handle(args: argparse.Namespace) -> int:
    try:
        settings = get_settings()
        argv = worker_argv(args, settings)
    except ValueError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    if settings.executor != "celery":
        print(
            "worker: note: ANALYTICS_EXECUTOR is not 'celery' here; runs launched with this "
            "environment execute in their own process and send this worker nothing",
            file=sys.stderr,
        )
    import analytics_assets.definitions  # noqa: F401  (import once, before the fork)

    app = build_app(settings)
    queues = argv[argv.index("--queues") + 1]
    print(
        f"analytics-assets worker: queues {queues}, {argv[argv.index('--concurrency') + 1]} "
        "processes",
        flush=True,
    )
    app.worker_main(argv)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="start a celery worker for ANALYTICS_EXECUTOR=celery runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--queue",
        action="append",
        choices=QUEUES,
        help="queue to consume (repeat for several; default: all of them)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="worker processes (default CELERY_WORKER_CONCURRENCY, else one per core)",
    )
    parser.add_argument("--name", help="worker name (default analytics-<queues>-<pid>)")
    parser.add_argument("--loglevel", default="INFO", choices=("DEBUG", "INFO", "WARNING"))
    parser.set_defaults(handler=handle)
