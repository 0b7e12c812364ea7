"""The one `Definitions` of the code location: assets, checks, resources, sensors, schedules.

Every area contributes through its own module; this file only wires them. Resources are built
from the environment (`settings.py`), so switching the source, the lake or MongoDB is
configuration, not code.
"""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from analytics_assets.assets import (
    analytics,
    categorization,
    errors,
    ingestion,
    reports,
    translation,
)
from analytics_assets.jobs import REPORT_JOBS, ingestion_job, retry_failed_rows
from analytics_assets.resources.registry import build_resources
from analytics_assets.schedules import SCHEDULES, automation_condition_sensor
from analytics_assets.sensors import nocodb_new_rows

# Asset modules, one per stage (each helper/area appends its module here).
ASSET_MODULES = [ingestion, errors, translation, categorization, analytics, reports]

defs = Definitions(
    assets=load_assets_from_modules(ASSET_MODULES),
    asset_checks=load_asset_checks_from_modules(ASSET_MODULES),
    resources=build_resources(),
    jobs=[*REPORT_JOBS, retry_failed_rows, ingestion_job],
    schedules=[*SCHEDULES],
    sensors=[errors.retry_failed_rows_sensor, automation_condition_sensor, nocodb_new_rows],
)
