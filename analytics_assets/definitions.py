"""The one `Definitions` of the code location: assets, checks, resources, sensors, schedules.

Every area contributes through its own module; this file only wires them. Resources are built
from the environment (`settings.py`), so switching the source, the lake or MongoDB is
configuration, not code.
"""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from analytics_assets.assets import ingestion
from analytics_assets.resources.registry import build_resources

# Asset modules, one per stage (each helper/area appends its module here).
ASSET_MODULES = [ingestion]

defs = Definitions(
    assets=load_assets_from_modules(ASSET_MODULES),
    asset_checks=load_asset_checks_from_modules(ASSET_MODULES),
    resources=build_resources(),
    jobs=[],
    schedules=[],
    sensors=[],
)
