"""Builds the resources of the code location from the environment.

One function, so `definitions.py`, the CLI and tests construct resources the same way. Secrets
(`NOCODB_API_TOKEN`, translator keys, `MONGODB_URI`, AWS credentials) reach resources as
`EnvVar`s or stay in the environment: Dagster reads them at run time and never shows their
values in the UI or run config.
"""

from __future__ import annotations

from typing import Any

from analytics_assets.defs.categorization.resource import ScoringResource
from analytics_assets.defs.translation.resource import TranslatorResource
from analytics_assets.settings import core_settings
from analytics_assets.sources.base import SourceResource
from analytics_assets.sources.demo.resource import DemoSourceResource
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import parquet_io_manager_from_env


def build_source() -> SourceResource:
    """The configured source: the demo generator unless `ANALYTICS_SOURCE=nocodb`."""
    settings = core_settings()
    if settings.source == "nocodb":
        from analytics_assets.sources.nocodb import NocoDBResource

        return NocoDBResource.from_env()
    return DemoSourceResource(
        seed=settings.demo_seed, messages_per_day=settings.demo_messages_per_day
    )


def build_resources() -> dict[str, Any]:
    return {
        "io_manager": parquet_io_manager_from_env(),
        "source": build_source(),
        "mongo": MongoResource.from_settings(),
        "translator": TranslatorResource.from_settings(),
        "scoring": ScoringResource.from_settings(),
    }
