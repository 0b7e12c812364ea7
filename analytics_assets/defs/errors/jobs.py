"""The retry job for partitions with open row-level errors (`retry_failed_rows_sensor`)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from analytics_assets.partitions import DAILY_PARTITIONS

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
