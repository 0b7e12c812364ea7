"""Builds the resources of the code location from the environment.

One function, so `definitions.py`, the CLI and tests construct resources the same way. Secrets
(`NOCODB_API_TOKEN`, translator keys, AWS credentials) are passed as `EnvVar`s: Dagster reads
them at run time and never shows their values in the UI or run config.
"""

from __future__ import annotations

from typing import Any

from dagster import EnvVar

from analytics_assets.io_managers.parquet import PolarsParquetIOManager
from analytics_assets.resources.demo_source import DemoSourceResource
from analytics_assets.resources.mongo import MongoResource
from analytics_assets.resources.source import SourceResource
from analytics_assets.settings import core_settings, env_str


def build_source() -> SourceResource:
    """The configured source: the demo generator unless `ANALYTICS_SOURCE=nocodb`."""
    settings = core_settings()
    if settings.source == "nocodb":
        from analytics_assets.resources.nocodb import NocoDBResource

        return NocoDBResource.from_env()
    return DemoSourceResource(
        seed=settings.demo_seed, messages_per_day=settings.demo_messages_per_day
    )


def build_mongo() -> MongoResource:
    settings = core_settings()
    return MongoResource(
        uri=settings.mongodb_uri,
        database=settings.mongodb_database,
        embedded_path=settings.mongo_embedded_path,
    )


def build_resources() -> dict[str, Any]:
    settings = core_settings()
    return {
        "io_manager": PolarsParquetIOManager.from_env(settings.lake),
        "source": build_source(),
        "mongo": build_mongo(),
    }


__all__ = ["EnvVar", "build_mongo", "build_resources", "build_source", "env_str"]
