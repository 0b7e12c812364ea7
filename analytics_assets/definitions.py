"""The one `Definitions` of the code location: every area's definitions, merged, plus resources.

Each area under `defs/` (ingestion, categorization, translation, analytics, reports, errors,
serving) declares its assets, checks, jobs and sensors in its own `definitions.py`; this file
only merges them and binds the resources, which are built from the settings
(`settings.py`), so switching the source, the lake or MongoDB is configuration, not code.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetKey, AssetSelection, Definitions, JobDefinition, define_asset_job

from analytics_assets.automation import automation_condition_sensor
from analytics_assets.defs.analytics import assets as analytics
from analytics_assets.defs.analytics import definitions as analytics_defs
from analytics_assets.defs.categorization import assets as categorization
from analytics_assets.defs.categorization import definitions as categorization_defs
from analytics_assets.defs.errors import assets as errors
from analytics_assets.defs.errors import definitions as errors_defs
from analytics_assets.defs.ingestion import assets as ingestion
from analytics_assets.defs.ingestion import definitions as ingestion_defs
from analytics_assets.defs.reports import assets as reports
from analytics_assets.defs.reports import definitions as reports_defs
from analytics_assets.defs.serving import assets as serving
from analytics_assets.defs.serving import definitions as serving_defs
from analytics_assets.defs.translation import assets as translation
from analytics_assets.defs.translation import definitions as translation_defs
from analytics_assets.execution import build_executor
from analytics_assets.resources import build_resources

# The asset modules of every area (tests build their own Definitions from these).
ASSET_MODULES = [ingestion, errors, translation, categorization, analytics, reports, serving]

defs = Definitions.merge(
    ingestion_defs.defs,
    errors_defs.defs,
    translation_defs.defs,
    categorization_defs.defs,
    analytics_defs.defs,
    reports_defs.defs,
    serving_defs.defs,
    Definitions(
        resources=build_resources(),
        sensors=[automation_condition_sensor],
        # ANALYTICS_EXECUTOR=celery: steps run on celery workers (execution.py).
        executor=build_executor(),
    ),
)


def job_for_assets(name: str, asset_keys: Sequence[str]) -> JobDefinition:
    """A named job over `asset_keys` (assets of one partitioning), built the same way in the
    CLI and on every celery worker: what `analytics-assets run` executes by reference.

    Why not the implicit asset job: Dagster refuses its reserved name `__ASSET_JOB` in a job
    re-loaded by reference.
    """
    selection = AssetSelection.assets(*(AssetKey.from_user_string(k) for k in asset_keys))
    job = define_asset_job(name, selection=selection)
    return Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def(name)
