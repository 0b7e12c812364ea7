"""Builds the resources of the code location from the environment.

One function, so `definitions.py`, the CLI and tests construct resources the same way. Secrets
(`NOCODB_API_TOKEN`, translator keys, `MONGODB_URI`, AWS credentials) reach resources as
`EnvVar`s or stay in the environment: Dagster reads them at run time and never shows their
values in the UI or run config.
"""

from __future__ import annotations

from typing import Any

from analytics_assets.io_managers.parquet import parquet_io_manager_from_env
from analytics_assets.resources.demo_source import DemoSourceResource
from analytics_assets.resources.mongo import MongoResource
from analytics_assets.resources.scoring import ScoringResource
from analytics_assets.resources.source import SourceResource
from analytics_assets.resources.translator import TranslatorResource
from analytics_assets.settings import core_settings


def build_source() -> SourceResource:
    """The configured source: the demo generator unless `ANALYTICS_SOURCE=nocodb`."""
    settings = core_settings()
    if settings.source == "nocodb":
        from analytics_assets.resources.nocodb import NocoDBResource

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
