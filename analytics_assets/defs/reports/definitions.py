"""Daily, weekly and monthly reports (Parquet, MongoDB, HTML), their jobs and schedules."""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from analytics_assets.defs.reports import assets
from analytics_assets.defs.reports.jobs import REPORT_JOBS
from analytics_assets.defs.reports.schedules import SCHEDULES

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    asset_checks=load_asset_checks_from_modules([assets]),
    jobs=REPORT_JOBS,
    schedules=SCHEDULES,
)
