"""Daily, weekly and monthly reports (Parquet, MongoDB, HTML) and their jobs.

Each report has one trigger, its automation condition (`FOLLOW_UPSTREAM`): a period is built
as soon as its last day is in and rebuilt when one of its days is re-ingested. No schedule
competes with it; the jobs are for runs by hand.
"""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from analytics_assets.defs.reports import assets
from analytics_assets.defs.reports.jobs import REPORT_JOBS

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    asset_checks=load_asset_checks_from_modules([assets]),
    jobs=REPORT_JOBS,
)
