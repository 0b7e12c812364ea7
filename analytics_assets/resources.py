"""Builds the resources of the code location from the settings (`settings.Settings`).

One module, so `definitions.py`, the CLI, the API and tests construct resources the same way.
Secrets (`NOCODB_API_TOKEN`, translator keys, `MONGODB_URI`, AWS credentials) reach resources as
`EnvVar`s or stay in the environment: Dagster reads them at run time and never shows their
values in the UI or run config.
"""

from __future__ import annotations

from typing import Any

from analytics_assets.defs.categorization.resource import ScoringResource
from analytics_assets.defs.translation.resource import TranslatorResource
from analytics_assets.settings import Settings, get_settings
from analytics_assets.sources.base import SourceResource
from analytics_assets.sources.demo.resource import DemoSourceResource
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.parquet import LakeIOManager


def build_source(settings: Settings | None = None) -> SourceResource:
    """The configured source: the demo generator unless `ANALYTICS_SOURCE=nocodb`."""
    settings = settings or get_settings()
    if settings.source == "nocodb":
        from analytics_assets.sources.nocodb import NocoDBResource

        return NocoDBResource.from_settings(settings)
    return DemoSourceResource(
        seed=settings.demo_seed, messages_per_day=settings.demo_messages_per_day
    )


def build_io_manager(settings: Settings | None = None) -> LakeIOManager:
    """The lake IO manager (resource key `io_manager`).

    `ANALYTICS_LAKE` picks the base (default `./.data/lake`); for S3 the endpoint comes from
    `S3_ENDPOINT_URL`, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, and the region from
    `AWS_REGION`, else `AWS_DEFAULT_REGION`. Credentials stay in the environment.
    """
    settings = settings or get_settings()
    return LakeIOManager(
        base_path=settings.lake,
        s3_endpoint_url=settings.s3_endpoint_url or None,
        aws_region=settings.aws_region or None,
        row_group_size=settings.parquet_row_group_size,
        compression_level=settings.parquet_zstd_level,
    )


def build_resources(settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or get_settings()
    return {
        "io_manager": build_io_manager(settings),
        "source": build_source(settings),
        "mongo": MongoResource.from_settings(settings),
        "translator": TranslatorResource.from_settings(settings),
        "scoring": ScoringResource.from_settings(settings),
    }
