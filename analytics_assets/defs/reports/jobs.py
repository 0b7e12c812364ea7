"""Report jobs: what a person runs from the launchpad or the CLI (automation needs none).

Selections name assets by key, not by importing the asset objects, so the jobs resolve against
whatever assets `definitions.py` loads.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from analytics_assets.partitions import DAILY_PARTITIONS, MONTHLY_PARTITIONS, WEEKLY_PARTITIONS

daily_report_job = define_asset_job(
    "daily_report_job",
    selection=AssetSelection.assets("daily_report"),
    partitions_def=DAILY_PARTITIONS,
    description="Materialize `daily_report` for one UTC day .",
)

weekly_report_job = define_asset_job(
    "weekly_report_job",
    selection=AssetSelection.assets("weekly_report"),
    partitions_def=WEEKLY_PARTITIONS,
    description="Materialize `weekly_report` for one ISO week (key: its Monday).",
)

monthly_report_job = define_asset_job(
    "monthly_report_job",
    selection=AssetSelection.assets("monthly_report"),
    partitions_def=MONTHLY_PARTITIONS,
    description="Materialize `monthly_report` for one calendar month (key: its first day).",
)

REPORT_JOBS = [daily_report_job, weekly_report_job, monthly_report_job]
