"""Asset jobs: what schedules and sensors launch, and what a person runs from the launchpad.

Selections name assets by key (`AssetSelection.assets("daily_report")`), not by importing the
asset objects, so this module imports without the asset modules and the jobs are resolved
against whatever assets `definitions.py` loads.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from analytics_assets.partitions import DAILY_PARTITIONS, MONTHLY_PARTITIONS, WEEKLY_PARTITIONS

# --- reports (launched by schedules.py) -------------------------------------------------------

daily_report_job = define_asset_job(
    "daily_report_job",
    selection=AssetSelection.assets("daily_report"),
    partitions_def=DAILY_PARTITIONS,
    description="Materialize `daily_report` for one UTC day (the schedule runs yesterday).",
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

# --- retry of failed rows (launched by sensors.retry_failed_rows_sensor) -----------------------

RETRY_JOB_NAME = "retry_failed_rows"

# The assets that record row-level errors are exactly the upstream dependencies of
# `processing_errors` (assets/errors.py declares them), plus `processing_errors` itself so the
# summary of a retried partition is refreshed in the same run, after the re-materialization.
RETRY_SELECTION = AssetSelection.assets("processing_errors").upstream(depth=1)

retry_failed_rows = define_asset_job(
    RETRY_JOB_NAME,
    selection=RETRY_SELECTION,
    partitions_def=DAILY_PARTITIONS,
    description=(
        "Re-materialize daily partitions that have open processing errors. Re-materializing "
        "replaces the partition; the errors repository marks errors that did not recur as "
        "resolved. The retry sensor launches it with an asset selection per partition; to run "
        "it by hand, open the job in the UI, pick a partition and the assets to re-run "
        "(docs/operations.md)."
    ),
)

# --- ingestion (launched by sensors.nocodb_new_rows) ------------------------------------------

INGESTION_JOB_NAME = "ingest_raw"

ingestion_job = define_asset_job(
    INGESTION_JOB_NAME,
    selection=AssetSelection.assets("raw_conversations", "raw_messages"),
    partitions_def=DAILY_PARTITIONS,
    description=(
        "Re-read one UTC day from the source into `raw_conversations` and `raw_messages`, "
        "replacing the partitions. The `nocodb_new_rows` sensor launches it for the days that "
        "new or edited NocoDB rows fall into; downstream assets follow through their eager "
        "automation conditions (docs/nocodb.md)."
    ),
)

JOBS = [*REPORT_JOBS, retry_failed_rows, ingestion_job]
