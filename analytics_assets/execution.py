"""Where the steps of a run execute: in the run's own process, a process per step, or on
celery workers (`ANALYTICS_EXECUTOR`, settings.py); `definitions.py` sets `build_executor()`
as the default executor of every job, the implicit asset job included, so runs launched by
the daemon, the UI or a backfill all follow the setting:

* `in_process` (default): steps one after another in the run's process. A step process of the
  multiprocess executor imports the whole code location (JAX, Polars, the engine) before it
  does anything: on the shared 2-core machine a sensor-launched 2-step `ingest_raw` run of
  44 rows took 2 min 23 s from launch to success that way, its steps' own work 1-2 s
  (daemon log of `test_daemon_sensor.py`, 2026-12-03), which dwarfs what most steps do at
  small and medium volumes;
* `multiprocess`: Dagster's multiprocess executor (independent steps side by side, each in its
  own process), for a big single host;
* `celery`: dagster-celery's executor, bound to the configured broker and result backend.
  Each step becomes a celery task on a queue named by the step's `dagster-celery/queue` op
  tag:

* `scoring`: the JAX categorization steps, so GPU workers can consume just that queue
  (`analytics-assets worker --queue scoring`);
* `default`: everything else (the executor's default queue, no tag needed).

Workers must see the same instance (DAGSTER_HOME), lake and MongoDB as the process that
launched the run: the task carries the instance reference and re-loads the code location
from the module named in the job's origin. With `CELERY_QUEUE_PREFIX` several deployments (or
test sessions) share one broker without taking each other's tasks.
"""

from __future__ import annotations

from typing import Any

from dagster import ExecutorDefinition, in_process_executor, multiprocess_executor

from analytics_assets.settings import Settings, get_settings

DEFAULT_QUEUE = "default"
SCORING_QUEUE = "scoring"
QUEUES = (DEFAULT_QUEUE, SCORING_QUEUE)
CELERY_QUEUE_TAG = "dagster-celery/queue"  # dagster_celery.tags.DAGSTER_CELERY_QUEUE_TAG


def step_queue_tags(queue: str) -> dict[str, str]:
    """Op tags that route a step to `queue` (ignored by the in-process executors)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; queues are {QUEUES}")
    return {CELERY_QUEUE_TAG: get_settings().queue(queue)}


def _url_source(settings: Settings, field: str, key: str) -> Any:
    """The env-var reference when the URL came from the environment (it may hold a password,
    which must not land in the job snapshot or the UI), else the non-secret local default."""
    return {"env": key} if field in settings.model_fields_set else getattr(settings, field)


def celery_config(settings: Settings | None = None) -> dict[str, Any]:
    """The celery executor's config; the worker command builds its app from the same dict."""
    settings = settings or get_settings()
    return {
        "broker": _url_source(settings, "celery_broker_url", "CELERY_BROKER_URL"),
        "backend": _url_source(settings, "celery_result_backend", "CELERY_RESULT_BACKEND"),
        "config_source": {
            "task_default_queue": settings.queue(DEFAULT_QUEUE),
            # One task at a time per worker process: steps are long and uneven in size.
            "worker_prefetch_multiplier": 1,
            # A task is acknowledged after it ran, so a worker that dies mid-step does not
            # lose it (run monitoring/retries decide what happens next).
            "task_acks_late": True,
            "broker_connection_retry_on_startup": True,
        },
    }


def build_executor() -> ExecutorDefinition:
    """The executor every job uses (`materialize` and `analytics-assets run` without celery
    always execute in-process, whatever this says)."""
    settings = get_settings()
    if settings.executor == "in_process":
        return in_process_executor
    if settings.executor == "multiprocess":
        return multiprocess_executor
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_config(settings), name="celery")
