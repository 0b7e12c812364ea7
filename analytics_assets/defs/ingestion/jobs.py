"""The ingestion job launched by the `nocodb_new_rows` sensor."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from analytics_assets.partitions import DAILY_PARTITIONS

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
