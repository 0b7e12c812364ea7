"""Automation conditions shared by the downstream assets.

`AutomationCondition.eager()` only ever considers the *latest* time partition of a
time-partitioned asset (Dagster 1.13: `eager = in_latest_time_window() & ...`). Here that is not
enough: when an older day is re-materialized upstream (the retry of failed rows, a NocoDB edit
of an old row picked up by `nocodb_new_rows`, a manual re-run), its downstream partitions would
stay stale. `FOLLOW_UPSTREAM` is eager without that restriction:

* request a partition when one of its dependency partitions was updated since this asset last
  handled it, or when it becomes newly missing (a new day appeared);
* not while a dependency partition is missing or in progress, nor while it is in progress.

It does not backfill history by itself: on its first evaluation, partitions that were already
missing are not "newly" missing, so it starts from the state it finds
(`analytics_assets_tests/test_automation.py` checks both behaviours).

`automation_condition_sensor` evaluates these conditions. Dagster would otherwise add a
`default_automation_condition_sensor` that starts *stopped*; this one covers the same assets
and starts running.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

FOLLOW_UPSTREAM: AutomationCondition = (
    AutomationCondition.eager()
    .without(AutomationCondition.in_latest_time_window())
    .with_label("eager (any partition)")
)


# Evaluates the automation conditions of every asset (assets without one are ignored), every
# 30 seconds, in the daemon. Declared here so it starts RUNNING with `dagster dev`.
automation_condition_sensor = AutomationConditionSensorDefinition(
    "automation_condition_sensor",
    target=AssetSelection.all(),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Materializes downstream assets when their automation conditions are met "
    "(e.g. after ingestion lands a new partition).",
)
