"""`FOLLOW_UPSTREAM` on a real (ephemeral) instance: it follows updates of any daily partition."""

from __future__ import annotations

import logging

import pytest
from dagster import (
    AssetsDefinition,
    AutomationCondition,
    DagsterInstance,
    asset,
    evaluate_automation_conditions,
    materialize,
)

from analytics_assets.automation import FOLLOW_UPSTREAM
from analytics_assets.partitions import DAILY_PARTITIONS


def pair(condition: AutomationCondition) -> list[AssetsDefinition]:
    @asset(partitions_def=DAILY_PARTITIONS)
    def upstream() -> int:
        return 1

    @asset(partitions_def=DAILY_PARTITIONS, deps=[upstream], automation_condition=condition)
    def downstream() -> int:
        return 1

    return [upstream, downstream]


@pytest.fixture(autouse=True)
def quiet_runs() -> None:
    logging.getLogger("dagster").setLevel(logging.WARNING)


def requested_keys(result) -> list[str]:
    return sorted(
        key for r in result.results for key in r.true_subset.expensively_compute_partition_keys()
    )


@pytest.mark.parametrize(
    ("condition", "follows_old_days"),
    [(FOLLOW_UPSTREAM, True), (AutomationCondition.eager(), False)],
    ids=["follow_upstream", "plain_eager"],
)
def test_re_materialized_old_day_is_followed(condition, follows_old_days) -> None:
    defs = pair(condition)
    upstream = defs[0]
    instance = DagsterInstance.ephemeral()
    for day in ("2025-03-01", "2025-03-02"):
        assert materialize(defs, partition_key=day, instance=instance).success
    first = evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0  # nothing changed since the materializations

    # An old day is re-ingested (a retry, a fix at the source).
    assert materialize([upstream], partition_key="2025-03-01", instance=instance).success
    second = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert requested_keys(second) == (["2025-03-01"] if follows_old_days else [])

    third = evaluate_automation_conditions(defs=defs, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0  # handled once, not again


def test_does_not_backfill_history_on_first_evaluation() -> None:
    defs = pair(FOLLOW_UPSTREAM)
    instance = DagsterInstance.ephemeral()
    for day in ("2025-03-01", "2025-03-02", "2025-03-03"):
        assert materialize([defs[0]], partition_key=day, instance=instance).success
    first = evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.total_requested == 0
    # A new upstream day is followed.
    assert materialize([defs[0]], partition_key="2025-03-04", instance=instance).success
    second = evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert requested_keys(second) == ["2025-03-04"]
