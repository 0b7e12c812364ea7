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


def test_week_is_requested_when_complete_and_again_after_a_late_day() -> None:
    """How the weekly (and monthly) reports are triggered: by this condition alone, no schedule.

    A week that has just ended is requested once its last day is in; an old day re-ingested
    later requests its week again.
    """
    from datetime import datetime, timedelta

    from analytics_assets.partitions import WEEKLY_PARTITIONS

    @asset(partitions_def=DAILY_PARTITIONS)
    def day_rows() -> int:
        return 1

    @asset(partitions_def=WEEKLY_PARTITIONS, deps=[day_rows], automation_condition=FOLLOW_UPSTREAM)
    def week_report() -> int:
        return 1

    defs = [day_rows, week_report]
    instance = DagsterInstance.ephemeral()
    days = [f"2025-03-{d:02d}" for d in range(3, 10)]  # Monday 3 to Sunday 9 March
    for day in days[:-1]:
        assert materialize([day_rows], partition_key=day, instance=instance).success
    sunday = datetime(2025, 3, 9, 12)
    first = evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=sunday)
    assert first.total_requested == 0  # the week is not over yet

    assert materialize([day_rows], partition_key=days[-1], instance=instance).success
    monday = sunday + timedelta(hours=13)
    second = evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=first.cursor, evaluation_time=monday
    )
    assert requested_keys(second) == ["2025-03-03"]
    assert materialize([week_report], partition_key="2025-03-03", instance=instance).success

    third = evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=second.cursor, evaluation_time=monday
    )
    assert third.total_requested == 0
    # Late rows for Wednesday are ingested days later: the week follows.
    assert materialize([day_rows], partition_key="2025-03-05", instance=instance).success
    later = monday + timedelta(days=3)
    fourth = evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=third.cursor, evaluation_time=later
    )
    assert requested_keys(fourth) == ["2025-03-03"]
