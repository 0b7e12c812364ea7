"""The one place configuration is read from: one pydantic-settings model, `Settings`.

Every key comes from the process environment, with `.env` in the working directory loaded into
it once at import (values already in the environment win, and libraries that read the
environment themselves, such as boto/s3fs for `AWS_*` or Dagster's `EnvVar`, see the same
values). An empty value counts as unset. `.env.example` documents every key.

`get_settings()` reads the environment now, not at import, so tests and the CLI can set it
first. Nothing else in the package reads the environment: resources get their fields from
here (`resources.py`), and pure modules get what they need as arguments. Secrets (NocoDB and
translator tokens, S3 keys) are not fields: resources take them as `dagster.EnvVar`s so they
never land in run config, metadata or logs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from dotenv import load_dotenv
from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

load_dotenv(override=False)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


class Settings(BaseSettings):
    """Every setting of the platform; field aliases are the environment keys."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True, extra="ignore", populate_by_name=True, frozen=True
    )

    # --- core: source, lake, MongoDB, partitions, privacy -----------------------------------
    data_dir: Path = Field(PROJECT_ROOT / ".data", validation_alias="ANALYTICS_DATA_DIR")
    source: Literal["demo", "nocodb"] = Field("demo", validation_alias="ANALYTICS_SOURCE")
    lake: str = Field("", validation_alias="ANALYTICS_LAKE")
    partitions_start: date = Field(date(2025, 1, 1), validation_alias="PARTITIONS_START_DATE")
    demo_seed: int = Field(42, validation_alias="DEMO_SEED")
    demo_messages_per_day: int = Field(2000, validation_alias="DEMO_MESSAGES_PER_DAY")
    # Empty: a random key generated on the first run and kept in ANALYTICS_DATA_DIR
    # (privacy.pseudonym_key); never one built-in key shared by every installation.
    pseudonym_key_configured: str = Field("", validation_alias="PSEUDONYM_KEY")
    mongodb_uri: str = Field("", validation_alias="MONGODB_URI")
    mongodb_database: str = Field("conversation_analytics", validation_alias="MONGODB_DATABASE")
    mongo_embedded_path: str = Field("", validation_alias="MONGO_EMBEDDED_PATH")

    # --- Parquet lake ------------------------------------------------------------------------
    s3_endpoint_url: str = Field(
        "",
        validation_alias=AliasChoices("S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    )
    aws_region: str = Field("", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    parquet_row_group_size: int = Field(131_072, validation_alias="PARQUET_ROW_GROUP_SIZE")
    parquet_zstd_level: int = Field(3, validation_alias="PARQUET_ZSTD_LEVEL")

    # --- categorization engine ---------------------------------------------------------------
    scoring_device: Literal["auto", "cpu", "gpu"] = Field("auto", validation_alias="SCORING_DEVICE")
    taxonomy_path: str = Field("", validation_alias="CATEGORIZER_TAXONOMY")
    weights_path: str = Field("", validation_alias="CATEGORIZER_WEIGHTS")
    scoring_batch_size: int = Field(2048, validation_alias="SCORING_BATCH_SIZE")
    # Empty: $XDG_CACHE_HOME/analytics-assets/jax (else ~/.cache/...); `off` disables it.
    scoring_compile_cache_dir: str = Field("", validation_alias="SCORING_COMPILE_CACHE_DIR")
    xdg_cache_home: str = Field("", validation_alias="XDG_CACHE_HOME")

    # --- language detection ------------------------------------------------------------------
    language_detection_languages: str = Field("", validation_alias="LANGUAGE_DETECTION_LANGUAGES")
    language_detection_low_accuracy: bool = Field(
        False, validation_alias="LANGUAGE_DETECTION_LOW_ACCURACY"
    )
    language_detection_max_chars: int = Field(1000, validation_alias="LANGUAGE_DETECTION_MAX_CHARS")
    language_detection_min_letters: int = Field(
        3, validation_alias="LANGUAGE_DETECTION_MIN_LETTERS"
    )
    language_detection_min_confidence: float = Field(
        0.6, validation_alias="LANGUAGE_DETECTION_MIN_CONFIDENCE"
    )

    # --- translation (URL and API key are EnvVars of the resource) ---------------------------
    # Validated by the translator resource, which knows its backends.
    translator: str = Field("none", validation_alias="TRANSLATOR")
    translator_url_set: bool = Field(False, validation_alias="TRANSLATOR_URL")
    translator_api_key_set: bool = Field(False, validation_alias="TRANSLATOR_API_KEY")
    translator_model: str = Field("", validation_alias="TRANSLATOR_MODEL")
    translation_target_language: str = Field("en", validation_alias="TRANSLATION_TARGET_LANGUAGE")
    translation_budget_chars: int = Field(1_000_000, validation_alias="TRANSLATION_BUDGET_CHARS")
    translation_budget_requests: int = Field(0, validation_alias="TRANSLATION_BUDGET_REQUESTS")
    translation_max_concurrency: int = Field(4, validation_alias="TRANSLATION_MAX_CONCURRENCY")
    translation_timeout_s: float = Field(30.0, validation_alias="TRANSLATION_TIMEOUT_S")
    translation_max_attempts: int = Field(4, validation_alias="TRANSLATION_MAX_ATTEMPTS")
    translation_backoff_s: float = Field(0.5, validation_alias="TRANSLATION_BACKOFF_S")
    translation_batch_size: int = Field(0, validation_alias="TRANSLATION_BATCH_SIZE")
    translation_batch_chars: int = Field(0, validation_alias="TRANSLATION_BATCH_CHARS")

    # --- NocoDB source (URL and token are EnvVars of the resource) ---------------------------
    nocodb_base: str = Field("dify", validation_alias="NOCODB_BASE")
    nocodb_conversations_table: str = Field(
        "conversations", validation_alias="NOCODB_CONVERSATIONS_TABLE"
    )
    nocodb_messages_table: str = Field("messages", validation_alias="NOCODB_MESSAGES_TABLE")
    nocodb_page_size: int = Field(1000, validation_alias="NOCODB_PAGE_SIZE")
    nocodb_max_concurrency: int = Field(4, validation_alias="NOCODB_MAX_CONCURRENCY")
    nocodb_timeout_s: float = Field(30.0, validation_alias="NOCODB_TIMEOUT_S")
    nocodb_max_retries: int = Field(5, validation_alias="NOCODB_MAX_RETRIES")
    nocodb_sensor_interval_s: int = Field(60, validation_alias="NOCODB_SENSOR_INTERVAL_S")
    nocodb_sensor_max_rows: int = Field(20_000, validation_alias="NOCODB_SENSOR_MAX_ROWS")

    # --- analytics and the retry of failed rows ----------------------------------------------
    session_gap_minutes: int = Field(30, gt=0, validation_alias="SESSION_GAP_MINUTES")
    retry_max_attempts: int = Field(3, ge=1, validation_alias="RETRY_MAX_ATTEMPTS")
    retry_max_runs_per_tick: int = Field(10, ge=1, validation_alias="RETRY_MAX_RUNS_PER_TICK")
    retry_sensor_interval_seconds: int = Field(
        300, validation_alias="RETRY_SENSOR_INTERVAL_SECONDS"
    )
    # Comma-separated stages whose errors the retry sensor leaves to people; `none`: none.
    retry_skip_stages_raw: str = Field("ingestion", validation_alias="RETRY_SKIP_STAGES")

    # --- scale-out: instance file, executor, celery workers (docs/deployment.md) ------------
    # `instance` only picks which committed instance file `make` copies into DAGSTER_HOME;
    # the PostgreSQL credentials are `DAGSTER_PG_*` variables the instance file names.
    instance: Literal["local", "postgres"] = Field("local", validation_alias="ANALYTICS_INSTANCE")
    executor: Literal["in_process", "multiprocess", "celery"] = Field(
        "in_process", validation_alias="ANALYTICS_EXECUTOR"
    )
    celery_broker_url: str = Field(
        "redis://127.0.0.1:6379/0",
        pattern=r"^(redis|rediss|amqp|pyamqp)://",
        validation_alias="CELERY_BROKER_URL",
    )
    celery_result_backend: str = Field(
        "redis://127.0.0.1:6379/1",
        pattern=r"^(redis|rediss)://",
        validation_alias="CELERY_RESULT_BACKEND",
    )
    celery_queue_prefix: str = Field("", validation_alias="CELERY_QUEUE_PREFIX")
    # 0: one worker process per core.
    celery_worker_concurrency: int = Field(0, ge=0, validation_alias="CELERY_WORKER_CONCURRENCY")

    # --- HTTP API and dashboard (analytics_assets/api/, docs/api.md) -------------------------
    api_host: str = Field("127.0.0.1", validation_alias="API_HOST")
    api_port: int = Field(8000, ge=1, le=65535, validation_alias="API_PORT")
    # Comma-separated browser origins allowed to call the API; empty: CORS off.
    api_cors_origins_raw: str = Field("", validation_alias="API_CORS_ORIGINS")
    # Longest from/to range one request may ask for, in days.
    api_max_range_days: int = Field(400, ge=1, le=3660, validation_alias="API_MAX_RANGE_DAYS")
    # Rows of prepared lake partitions kept in memory (keyed on each file's identity); 0: off.
    api_cache_max_rows: int = Field(20_000_000, ge=0, validation_alias="API_CACHE_MAX_ROWS")
    # Mark the dashboard's login cookie `Secure` (serve over HTTPS when true).
    api_cookie_secure: bool = Field(False, validation_alias="API_COOKIE_SECURE")
    # --- command line outside `make` (issue 18) ----------------------------------------------
    # Empty: `./.dagster` in the working directory, as `make` sets it (cli/instance.py).
    dagster_home: str = Field("", validation_alias="DAGSTER_HOME")

    def queue(self, name: str) -> str:
        """A celery queue name with the deployment's prefix (lets deployments share a broker)."""
        return f"{self.celery_queue_prefix}{name}"

    @field_validator(
        "source", "scoring_device", "translator", "instance", "executor", mode="before"
    )
    @classmethod
    def _choice(cls, value: object) -> object:
        """Choices are case-insensitive; `in-process` means `in_process`."""
        return value.strip().lower().replace("-", "_") if isinstance(value, str) else value

    @field_validator("translator_url_set", "translator_api_key_set", mode="before")
    @classmethod
    def _present(cls, value: object) -> bool:
        """Only whether the secret is set is a setting; its value stays in the environment."""
        if isinstance(value, bool):  # the default (settings validate their defaults too)
            return value
        return bool(str(value).strip())

    @model_validator(mode="after")
    def _derived_paths(self) -> Settings:
        # Frozen model: derived defaults go in through object.__setattr__, once, here.
        if not self.lake:
            object.__setattr__(self, "lake", str(self.data_dir / "lake"))
        if not self.mongo_embedded_path:
            object.__setattr__(self, "mongo_embedded_path", str(self.data_dir / "mongo"))
        return self

    @property
    def pseudonym_key(self) -> str:
        """`PSEUDONYM_KEY`, or this installation's generated key (read or made on first use)."""
        from analytics_assets.privacy import pseudonym_key

        return pseudonym_key(self.pseudonym_key_configured, self.data_dir)

    @property
    def language_detection_codes(self) -> tuple[str, ...]:
        return tuple(code.lower() for code in _csv(self.language_detection_languages))

    @property
    def api_cors_origins(self) -> tuple[str, ...]:
        return _csv(self.api_cors_origins_raw)

    @property
    def retry_skip_stages(self) -> tuple[str, ...]:
        if self.retry_skip_stages_raw.strip().lower() == "none":
            return ()
        return _csv(self.retry_skip_stages_raw)


def get_settings() -> Settings:
    """The settings as the environment (and `.env`) says now.

    Invalid values raise a `pydantic.ValidationError` that names the environment key.
    """
    return Settings()
