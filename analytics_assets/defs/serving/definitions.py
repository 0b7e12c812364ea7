"""The serving assets (MongoDB documents fed from the lake) and their checks."""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from analytics_assets.defs.serving import assets

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    asset_checks=load_asset_checks_from_modules([assets]),
)
