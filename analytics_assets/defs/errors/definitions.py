"""Row-level processing errors, the retry job and its sensor."""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from analytics_assets.defs.errors import assets
from analytics_assets.defs.errors.jobs import retry_failed_rows

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    asset_checks=load_asset_checks_from_modules([assets]),
    jobs=[retry_failed_rows],
    sensors=[assets.retry_failed_rows_sensor],
)
