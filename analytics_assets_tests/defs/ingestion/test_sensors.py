"""The `nocodb_new_rows` sensor: run requests for exactly the partitions new/edited rows touch.

Planning is a pure function (tested first, without a server); the sensor itself is evaluated
with `build_sensor_context` against a real NocoDB base of the test's own.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context

from analytics_assets.defs.ingestion.sensors import (
    SensorCursor,
    TableCursor,
    evaluate_nocodb_sensor,
    nocodb_new_rows,
    plan_runs,
)
from analytics_assets.sources.nocodb import Changes, NocoDBResource
from analytics_assets_tests.fixtures.nocodb import (
    DifyBase,
    NocoDBTestServer,
    insert_frame,
    wire_rows,
)

D1, D2, D3 = date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)


def _rows(items: list[tuple[int, str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        items,
        schema={"Id": pl.Int64(), "UpdatedAt": pl.String(), "created_at": pl.String()},
        orient="row",
    )


def _changes(new: list, edited: list | None = None, **flags: bool) -> Changes:
    return Changes(_rows(new), _rows(edited or []), flags.get("nt", False), flags.get("et", False))


# --- planning (pure) ---------------------------------------------------------------------------


def test_rows_map_to_their_utc_days_and_later_days_wait_in_the_cursor() -> None:
    changes = {
        "messages": _changes(
            [
                (11, None, "2026-11-03 00:00:00+00:00"),
                (12, None, "2026-11-03 23:59:59+00:00"),
                (13, None, "2026-11-04 08:00:00+00:00"),
                (14, None, "2026-11-26 08:00:00+00:00"),  # today: no partition yet
                (15, None, "2024-12-31 08:00:00+00:00"),  # before the first partition
                (16, None, "garbage"),
            ],
            [(3, "2026-11-25 10:00:00+00:00", "2026-11-04 09:00:00+00:00")],
        ),
        "conversations": _changes([(5, None, "2026-11-03 12:00:00+00:00")]),
    }
    plan = plan_runs(changes, SensorCursor(), "2025-01-01", "2026-11-25")
    assert [r.partition_key for r in plan.runs] == ["2026-11-03", "2026-11-04"]
    assert plan.runs[0].maxima == {"messages": (12, None), "conversations": (5, None)}
    assert plan.runs[1].maxima == {"messages": (13, "2026-11-25 10:00:00+00:00")}
    assert len({r.run_key for r in plan.runs}) == 2
    assert plan.cursor.pending == {"2026-11-26": {"messages": (14, None)}}
    assert sorted(plan.unmappable["Id"].to_list()) == [15, 16]
    messages = plan.cursor.table("messages")
    assert messages.max_id == 16 and messages.max_updated_at == "2026-11-25 10:00:00+00:00"
    assert messages.ids_at_max_updated == (3,)
    # The cursor survives its JSON round trip (it lives in Dagster's storage as text).
    assert SensorCursor.from_json(plan.cursor.to_json()) == plan.cursor

    # The next day, the waiting partition exists: it gets its run, with nothing new read.
    nothing = {"messages": _changes([]), "conversations": _changes([])}
    later = plan_runs(nothing, plan.cursor, "2025-01-01", "2026-11-26")
    assert [r.partition_key for r in later.runs] == ["2026-11-26"]
    assert later.cursor.pending == {}
    assert later.cursor.tables == plan.cursor.tables


def test_truncated_edits_move_the_cursor_only_past_what_was_read() -> None:
    old = SensorCursor(tables={"messages": TableCursor(100, "2026-11-25 09:00:00+00:00", (7,))})
    changes = {
        "messages": _changes(
            [(101, "2026-11-25 12:00:00+00:00", "2026-11-04 08:00:00+00:00")],
            [(8, "2026-11-25 09:00:00+00:00", "2026-11-03 08:00:00+00:00")],
            et=True,
        )
    }
    cursor = plan_runs(changes, old, "2025-01-01", "2026-11-25").cursor.table("messages")
    # Edits stopped at 09:00:00: the cursor must not jump to the new row's 12:00:00.
    assert cursor.max_id == 101
    assert cursor.max_updated_at == "2026-11-25 09:00:00+00:00"
    assert cursor.ids_at_max_updated == (7, 8)


# --- the sensor against a real NocoDB ----------------------------------------------------------


def _tick(resource: NocoDBResource, cursor: str | None, instance: DagsterInstance, now=None):
    context = build_sensor_context(cursor=cursor, instance=instance, resources={"source": resource})
    if now is None:
        return nocodb_new_rows(context)
    return evaluate_nocodb_sensor(context, resource, now=lambda: now)


@pytest.mark.nocodb
def test_sensor_requests_runs_for_new_and_edited_rows_and_a_repeated_tick_is_a_no_op(
    nocodb_server: NocoDBTestServer, nocodb_scratch: DifyBase
) -> None:
    client = nocodb_server.client()
    resource = nocodb_server.resource(nocodb_scratch, page_size=10)
    conversations, messages = wire_rows((D1, D2), messages_per_day=12)
    insert_frame(client, nocodb_scratch.conversations_table_id, conversations)
    insert_frame(client, nocodb_scratch.messages_table_id, messages)

    with DagsterInstance.ephemeral() as instance:
        first = _tick(resource, None, instance)
        assert isinstance(first, SensorResult)
        assert sorted(r.partition_key for r in first.run_requests) == [str(D1), str(D2)]
        assert all(r.run_key for r in first.run_requests)
        cursor = json.loads(first.cursor)
        assert cursor["tables"]["messages"]["max_id"] == messages.height
        assert cursor["tables"]["conversations"]["max_id"] == conversations.height

        # Same cursor again (e.g. the tick's cursor write was lost): the same run keys, which
        # Dagster does not launch twice.
        replay = _tick(resource, None, instance)
        assert [r.run_key for r in replay.run_requests] == [r.run_key for r in first.run_requests]
        # Advanced cursor, nothing new: nothing requested, cursor unchanged.
        idle = _tick(resource, first.cursor, instance)
        assert isinstance(idle, SkipReason)

        # New rows on a third day only: a run for that day only.
        _, more = wire_rows((D3,), seed=99, messages_per_day=8)
        insert_frame(client, nocodb_scratch.messages_table_id, more)
        second = _tick(resource, first.cursor, instance)
        assert [r.partition_key for r in second.run_requests] == [str(D3)]
        assert json.loads(second.cursor)["tables"]["messages"]["max_id"] == (
            messages.height + more.height
        )

        # An edit to an old D1 message: a run for D1, with a key D1 has not had before.
        d1_ids = resource.fetch_table("messages", *_day(D1), keep_nocodb_columns=True)[
            "Id"
        ].to_list()
        client.update_records(
            nocodb_scratch.messages_table_id, [{"Id": d1_ids[0], "answer": "edited answer"}]
        )
        third = _tick(resource, second.cursor, instance)
        assert [r.partition_key for r in third.run_requests] == [str(D1)]
        first_d1_key = next(r.run_key for r in first.run_requests if r.partition_key == str(D1))
        assert third.run_requests[0].run_key != first_d1_key
        assert json.loads(third.cursor)["tables"]["messages"]["max_updated_at"] is not None
        # ...and the tick after it sees nothing new: the edit is not reported twice.
        assert isinstance(_tick(resource, third.cursor, instance), SkipReason)


@pytest.mark.nocodb
def test_rows_of_today_wait_until_their_partition_exists(
    nocodb_server: NocoDBTestServer, nocodb_scratch: DifyBase
) -> None:
    client = nocodb_server.client()
    resource = nocodb_server.resource(nocodb_scratch)
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    today = now.strftime("%Y-%m-%d 14:00:00+00:00")
    client.insert_records(
        nocodb_scratch.messages_table_id,
        [{"id": "m-today", "conversation_id": "c-1", "created_at": today}],
    )
    with DagsterInstance.ephemeral() as instance:
        waiting = _tick(resource, None, instance, now=now)
        assert isinstance(waiting, SensorResult) and not waiting.run_requests
        assert "2026-11-25" in json.loads(waiting.cursor)["pending"]
        tomorrow = _tick(resource, waiting.cursor, instance, now=now + timedelta(days=1))
        assert [r.partition_key for r in tomorrow.run_requests] == ["2026-11-25"]
        assert json.loads(tomorrow.cursor)["pending"] == {}


def test_sensor_skips_when_the_source_is_not_nocodb() -> None:
    from analytics_assets.sources.demo.resource import DemoSourceResource

    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(
            instance=instance, resources={"source": DemoSourceResource()}
        )
        result = nocodb_new_rows(context)
    assert isinstance(result, SkipReason) and "not NocoDB" in (result.skip_message or "")


def _day(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=1)
