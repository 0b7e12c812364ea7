"""Raw conversations and messages from the source, the ingestion job and the NocoDB sensor."""

from __future__ import annotations

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from analytics_assets.defs.ingestion import assets
from analytics_assets.defs.ingestion.jobs import ingestion_job
from analytics_assets.defs.ingestion.sensors import nocodb_new_rows

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    asset_checks=load_asset_checks_from_modules([assets]),
    jobs=[ingestion_job],
    sensors=[nocodb_new_rows],
)
