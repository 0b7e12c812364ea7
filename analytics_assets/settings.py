"""The one place configuration is read from.

Every key comes from the process environment, with `.env` in the working directory read once at
import (values already in the environment win). `.env.example` documents every key. Resources
that talk to outside services take `dagster.EnvVar`s so secrets never land in run config or logs;
this module holds the non-secret defaults that make `make run` work with no configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dotenv import load_dotenv

load_dotenv(override=False)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def env_str(key: str, default: str = "") -> str:
    """A string setting; an empty value counts as unset."""
    value = os.environ.get(key, "").strip()
    return value if value else default


def env_int(key: str, default: int) -> int:
    raw = env_str(key)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {key} must be an integer, got {raw!r}") from exc


def env_float(key: str, default: float) -> float:
    raw = env_str(key)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {key} must be a number, got {raw!r}") from exc


def env_bool(key: str, default: bool) -> bool:
    raw = env_str(key).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"environment variable {key} must be true/false, got {raw!r}")


def env_date(key: str, default: str) -> date:
    raw = env_str(key, default)
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {key} must be an ISO date, got {raw!r}") from exc


def data_dir() -> Path:
    """Root of everything the embedded defaults write (`./.data`)."""
    return Path(env_str("ANALYTICS_DATA_DIR", str(PROJECT_ROOT / ".data")))


@dataclass(frozen=True)
class CoreSettings:
    """Settings every layer needs; area-specific keys live with their resources."""

    source: str
    lake: str
    partitions_start: date
    demo_seed: int
    demo_messages_per_day: int
    pseudonym_key: str
    mongodb_uri: str
    mongodb_database: str
    mongo_embedded_path: str


def core_settings() -> CoreSettings:
    """Read the core settings now (not at import), so tests can set the environment first."""
    source = env_str("ANALYTICS_SOURCE", "demo").lower()
    if source not in {"demo", "nocodb"}:
        raise ValueError(f"ANALYTICS_SOURCE must be 'demo' or 'nocodb', got {source!r}")
    return CoreSettings(
        source=source,
        lake=env_str("ANALYTICS_LAKE", str(data_dir() / "lake")),
        partitions_start=env_date("PARTITIONS_START_DATE", "2025-01-01"),
        demo_seed=env_int("DEMO_SEED", 42),
        demo_messages_per_day=env_int("DEMO_MESSAGES_PER_DAY", 2000),
        # Not a secret in the demo; production deployments must set their own key.
        pseudonym_key=env_str("PSEUDONYM_KEY", "analytics-assets-demo-key"),
        mongodb_uri=env_str("MONGODB_URI"),
        mongodb_database=env_str("MONGODB_DATABASE", "conversation_analytics"),
        mongo_embedded_path=env_str("MONGO_EMBEDDED_PATH", str(data_dir() / "mongo")),
    )


@dataclass(frozen=True)
class ScoringSettings:
    """Categorization engine (docs/categorization.md): device, taxonomy, learned weights."""

    device: str
    taxonomy_path: str
    weights_path: str
    batch_size: int


def scoring_settings() -> ScoringSettings:
    """`SCORING_DEVICE` (auto|cpu|gpu), `CATEGORIZER_TAXONOMY`, `CATEGORIZER_WEIGHTS`,
    `SCORING_BATCH_SIZE` (rows per JAX batch); empty paths mean the packaged taxonomy and
    rules only."""
    device = env_str("SCORING_DEVICE", "auto").lower()
    if device not in {"auto", "cpu", "gpu"}:
        raise ValueError(f"SCORING_DEVICE must be auto, cpu or gpu, got {device!r}")
    return ScoringSettings(
        device=device,
        taxonomy_path=env_str("CATEGORIZER_TAXONOMY"),
        weights_path=env_str("CATEGORIZER_WEIGHTS"),
        batch_size=env_int("SCORING_BATCH_SIZE", 2048),
    )


# --- scale-out settings (instance, executor, celery workers; docs/deployment.md) -------------

EXECUTORS = ("in_process", "celery")
INSTANCES = ("local", "postgres")


@dataclass(frozen=True)
class ExecutionSettings:
    """Where runs keep their state and where their steps execute.

    `instance` only picks which committed instance file `make` copies into DAGSTER_HOME
    (`dagster.yaml` or `deploy/dagster.postgres.yaml`); the PostgreSQL credentials themselves
    are `DAGSTER_PG_*` variables that Dagster reads from the instance file.
    """

    instance: str
    executor: str
    celery_broker_url: str
    celery_result_backend: str
    celery_queue_prefix: str
    celery_worker_concurrency: int

    def queue(self, name: str) -> str:
        """A celery queue name with the deployment's prefix (lets deployments share a broker)."""
        return f"{self.celery_queue_prefix}{name}"


def execution_settings() -> ExecutionSettings:
    """`ANALYTICS_INSTANCE` (local|postgres), `ANALYTICS_EXECUTOR` (in_process|celery),
    `CELERY_BROKER_URL` (redis:// or amqp://), `CELERY_RESULT_BACKEND` (redis://),
    `CELERY_QUEUE_PREFIX`, `CELERY_WORKER_CONCURRENCY` (0: one process per core)."""
    instance = env_str("ANALYTICS_INSTANCE", "local").lower()
    if instance not in INSTANCES:
        raise ValueError(f"ANALYTICS_INSTANCE must be one of {INSTANCES}, got {instance!r}")
    executor = env_str("ANALYTICS_EXECUTOR", "in_process").lower().replace("-", "_")
    if executor not in EXECUTORS:
        raise ValueError(f"ANALYTICS_EXECUTOR must be one of {EXECUTORS}, got {executor!r}")
    broker = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    backend = env_str("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/1")
    for key, url, schemes in (
        ("CELERY_BROKER_URL", broker, ("redis://", "rediss://", "amqp://", "pyamqp://")),
        ("CELERY_RESULT_BACKEND", backend, ("redis://", "rediss://")),
    ):
        if not url.startswith(schemes):
            raise ValueError(f"{key} must start with one of {schemes}, got {url.split(':')[0]}:")
    concurrency = env_int("CELERY_WORKER_CONCURRENCY", 0)
    if concurrency < 0:
        raise ValueError("CELERY_WORKER_CONCURRENCY must be 0 (one per core) or more")
    return ExecutionSettings(
        instance=instance,
        executor=executor,
        celery_broker_url=broker,
        celery_result_backend=backend,
        celery_queue_prefix=env_str("CELERY_QUEUE_PREFIX"),
        celery_worker_concurrency=concurrency,
    )
