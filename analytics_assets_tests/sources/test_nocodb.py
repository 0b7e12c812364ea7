"""The NocoDB source against a real NocoDB: what was loaded is what comes back.

The session's base (`nocodb_dify`) holds generated Dify rows of three days, including rows on
the exact day boundaries (00:00:00 and 23:59:59). Pure normalisation tests at the bottom
need no server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from dagster import EnvVar
from polars.testing import assert_frame_equal

from analytics_assets.partitions import day_window
from analytics_assets.schemas import CONVERSATIONS_WIRE_SCHEMA, MESSAGES_WIRE_SCHEMA
from analytics_assets.sources.nocodb import (
    NocoDBError,
    NocoDBRequestError,
    NocoDBResource,
    created_window_filter,
    dify_table_columns,
    records_to_frame,
)
from analytics_assets_tests.fixtures.fault_proxy import FaultProxy
from analytics_assets_tests.fixtures.nocodb import TEST_DAYS, DifyBase, LoadedDify

ALL = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))


def _in_window(frame: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    created = pl.col("created_at").str.to_datetime("%Y-%m-%d %H:%M:%S%#z", time_zone="UTC")
    return frame.filter((created >= start) & (created < end))


@pytest.mark.nocodb
def test_full_ingestion_equals_what_was_loaded(nocodb_dify: LoadedDify) -> None:
    source = nocodb_dify.server.resource(nocodb_dify.base)
    messages = source.fetch_messages(*ALL)
    conversations = source.fetch_conversations(*ALL)
    assert messages.schema == MESSAGES_WIRE_SCHEMA
    assert conversations.schema == CONVERSATIONS_WIRE_SCHEMA
    assert messages.height == nocodb_dify.messages.height > 500
    # Row for row, value for value: ids, Thai text, JSON text, prices, booleans, timestamps.
    assert_frame_equal(messages, nocodb_dify.messages)
    assert_frame_equal(conversations, nocodb_dify.conversations)
    assert messages["id"].n_unique() == messages.height


@pytest.mark.nocodb
def test_day_windows_are_filtered_on_the_server_exactly_at_the_boundaries(
    nocodb_dify: LoadedDify,
) -> None:
    source = nocodb_dify.server.resource(nocodb_dify.base)
    loaded = nocodb_dify.conversations
    # The loaded rows really sit on the boundaries, so the test can tell a bad filter.
    assert loaded.filter(pl.col("created_at").str.ends_with("00:00:00+00:00")).height >= 1
    assert loaded.filter(pl.col("created_at").str.ends_with("23:59:59+00:00")).height >= 1
    total = 0
    for day in TEST_DAYS:
        start, end = day_window(day.isoformat())
        got = source.fetch_conversations(start, end)
        assert_frame_equal(got, _in_window(loaded, start, end))
        assert got["created_at"].str.starts_with(day.isoformat()).all()
        total += got.height
    assert total == loaded.height
    # A day with no rows is an empty frame in the wire schema, not an error.
    empty = source.fetch_messages(*day_window("2026-10-01"))
    assert empty.height == 0 and empty.schema == MESSAGES_WIRE_SCHEMA


@pytest.mark.nocodb
def test_a_window_inside_a_day_is_exact_to_the_second(nocodb_dify: LoadedDify) -> None:
    source = nocodb_dify.server.resource(nocodb_dify.base)
    loaded = nocodb_dify.messages
    # Bounds on a row's exact second: the row is in [t, ...) and not in [..., t).
    t_text = loaded["created_at"][loaded.height // 2]
    t = datetime.strptime(t_text, "%Y-%m-%d %H:%M:%S+00:00").replace(tzinfo=UTC)
    after = source.fetch_messages(t, t + timedelta(hours=3))
    before = source.fetch_messages(t - timedelta(hours=3), t)
    assert t_text in after["created_at"].to_list()
    assert t_text not in before["created_at"].to_list()
    assert_frame_equal(after, _in_window(loaded, t, t + timedelta(hours=3)))
    assert_frame_equal(before, _in_window(loaded, t - timedelta(hours=3), t))
    # Fractional bounds round up to the next second (Dify stamps have whole seconds).
    half = source.fetch_messages(t + timedelta(microseconds=500_000), t + timedelta(hours=3))
    assert t_text not in half["created_at"].to_list()


@pytest.mark.nocodb
def test_paging_across_many_pages_concurrently_keeps_every_row_once(
    nocodb_dify: LoadedDify, fault_proxy
) -> None:
    # A proxy without faults, only to count the page requests the client really sends.
    proxy: FaultProxy = fault_proxy(nocodb_dify.server.url, {}, match="/records")
    source = nocodb_dify.server.resource(
        nocodb_dify.base, url=proxy.url, page_size=50, max_concurrency=4
    )
    got = source.fetch_messages(*ALL)
    assert_frame_equal(got, nocodb_dify.messages)
    pages = [entry for entry in proxy.log if "/records" in entry[2]]
    assert len(pages) == -(-nocodb_dify.messages.height // 50)  # ceil: one request per page
    offsets = sorted(int(p[2].split("offset=")[1].split("&")[0]) for p in pages)
    assert offsets == list(range(0, nocodb_dify.messages.height, 50))


@pytest.mark.nocodb
def test_tables_can_be_given_by_id(nocodb_dify: LoadedDify) -> None:
    server, base = nocodb_dify.server, nocodb_dify.base
    source = NocoDBResource(
        url=server.url,
        api_token=server.token,
        base="ignored-when-ids-are-given",
        conversations_table=base.conversations_table_id,
        messages_table=base.messages_table_id,
    )
    assert source.table_id("messages") == base.messages_table_id
    start, end = day_window(TEST_DAYS[1].isoformat())
    assert_frame_equal(
        source.fetch_conversations(start, end), _in_window(nocodb_dify.conversations, start, end)
    )


@pytest.mark.nocodb
def test_a_refused_request_says_what_failed_without_the_token(nocodb_dify: LoadedDify) -> None:
    server, base = nocodb_dify.server, nocodb_dify.base
    client = server.client(max_retries=3)
    with pytest.raises(NocoDBRequestError) as refused:
        client.get_page(base.messages_table_id, offset=0, limit=5, where="(no_such_col,eq,1)")
    err = refused.value
    assert err.status == 422
    assert base.messages_table_id in str(err) and "no_such_col" in str(err)  # URL and body
    assert server.token not in str(err)
    assert client.retries_done == 0  # a 4xx is not retried

    wrong_token = "not-a-valid-token-" + "x" * 20
    bad = NocoDBResource(url=server.url, api_token=wrong_token, base=base.title)
    with pytest.raises(NocoDBRequestError) as unauthorized:
        bad.fetch_messages(*ALL)
    assert unauthorized.value.status == 401
    assert wrong_token not in str(unauthorized.value)
    assert "/api/v2/meta/bases" in str(unauthorized.value)


@pytest.mark.nocodb
def test_unknown_base_or_table_is_a_clear_error(nocodb_dify: LoadedDify) -> None:
    server = nocodb_dify.server
    with pytest.raises(NocoDBError, match="base 'nope' not found.*" + nocodb_dify.base.title):
        NocoDBResource(url=server.url, api_token=server.token, base="nope").table_id("messages")
    missing = NocoDBResource(
        url=server.url,
        api_token=server.token,
        base=nocodb_dify.base.title,
        messages_table="msgs",
    )
    with pytest.raises(NocoDBError, match="table 'msgs' not found.*messages"):
        missing.fetch_messages(*ALL)


def test_a_renamed_or_removed_dify_column_is_an_error_naming_it(
    nocodb_dify: LoadedDify, nocodb_scratch: DifyBase
) -> None:
    """Schema drift: records simply lack a column the table no longer has, which would read
    as nulls; the resource checks the table's columns once and names what is missing."""
    server, base = nocodb_dify.server, nocodb_scratch
    client = server.client()
    columns = [c for c in dify_table_columns("messages") if c["title"] != "query"]
    columns.append({"title": "user_query", "column_name": "user_query", "uidt": "LongText"})
    client.create_table(base.base_id, "messages_drifted", columns)
    drifted = NocoDBResource(
        url=server.url, api_token=server.token, base=base.title, messages_table="messages_drifted"
    )
    with pytest.raises(NocoDBError, match=r"messages_drifted.*lacks the Dify columns \['query'\]"):
        drifted.fetch_messages(*ALL)
    # The intact tables pass the same check.
    assert server.resource(nocodb_dify.base).fetch_messages(*ALL).height == (
        nocodb_dify.messages.height
    )


# --- no server needed -------------------------------------------------------------------------


def test_records_from_other_nocodb_backends_normalise_to_the_wire_schema() -> None:
    """PostgreSQL-backed NocoDB returns JSON as objects, booleans as true/false, ISO stamps."""
    records = [
        {
            "id": "m1",
            "inputs": {"username": "สมชาย", "banks": [{"bankName": "KBank"}]},
            "message": [{"role": "user", "text": "hi"}],
            "message_metadata": '{"usage": {}}',
            "agent_based": 1,
            "message_tokens": 1200,
            "total_price": 2,
            "created_at": "2026-11-05T10:20:30.000Z",
            "updated_at": "2026-11-05 17:20:31+07:00",
        },
        {"id": "m2", "agent_based": False, "created_at": "not a date", "total_price": 0.5},
    ]
    frame = records_to_frame(
        records,
        MESSAGES_WIRE_SCHEMA,
        ("override_model_configs", "inputs", "message", "message_metadata"),
        ("created_at", "updated_at"),
    )
    assert frame.schema == MESSAGES_WIRE_SCHEMA
    first = frame.row(0, named=True)
    assert json.loads(first["inputs"]) == records[0]["inputs"]
    assert "สมชาย" in first["inputs"]  # readable, not \\u escapes
    assert first["message_metadata"] == '{"usage": {}}'  # JSON text passes unchanged
    assert first["agent_based"] is True and first["total_price"] == 2.0
    assert first["created_at"] == "2026-11-05 10:20:30+00:00"
    assert first["updated_at"] == "2026-11-05 10:20:31+00:00"  # converted to UTC
    # An unreadable timestamp is kept as it came, for ingestion to reject with its id.
    assert frame.row(1, named=True)["created_at"] == "not a date"


def test_a_value_of_the_wrong_type_is_an_error_not_a_null() -> None:
    with pytest.raises(NocoDBError, match="message_tokens"):
        records_to_frame([{"id": "m1", "message_tokens": "many"}], MESSAGES_WIRE_SCHEMA)


def test_window_filter_uses_ge_and_lt_in_utc_whole_seconds() -> None:
    start = datetime(2026, 11, 5, 7, 0, tzinfo=UTC)
    assert created_window_filter(start, start + timedelta(days=1)) == (
        "(created_at,ge,exactDate,2026-11-05 07:00:00)"
        "~and(created_at,lt,exactDate,2026-11-06 07:00:00)"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        created_window_filter(datetime(2026, 11, 5), datetime(2026, 11, 6))


def test_from_settings_keeps_url_and_token_as_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOCODB_BASE", "support")
    monkeypatch.setenv("NOCODB_MESSAGES_TABLE", "Messages")
    monkeypatch.setenv("NOCODB_PAGE_SIZE", "500")
    resource = NocoDBResource.from_settings()
    assert resource.url == EnvVar("NOCODB_URL")
    assert resource.api_token == EnvVar("NOCODB_API_TOKEN")
    assert (resource.base, resource.messages_table, resource.page_size) == (
        "support",
        "Messages",
        500,
    )
