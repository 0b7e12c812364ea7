"""`/v1/metrics` over HTTP against independent DuckDB SQL over the raw Parquet files, for a
custom range that cuts days in half, and against the stored daily report for a full day."""

from __future__ import annotations

import duckdb
import pytest

from analytics_assets.privacy import pseudonym
from analytics_assets.settings import Settings
from analytics_assets_tests.api.conftest import DAYS

FROM, TO = "2026-11-02T06:00:00Z", "2026-11-03T18:30:00Z"


def _raw(lake) -> str:
    return f"read_parquet('{lake}/raw_messages/*/*.parquet')"


def _labels(lake) -> str:
    return f"read_parquet('{lake}/categorized_messages/*/*.parquet')"


WHERE = (
    "created_at >= TIMESTAMPTZ '2026-11-02 06:00:00+00' "
    "AND created_at < TIMESTAMPTZ '2026-11-03 18:30:00+00'"
)


def test_custom_range_by_model_equals_duckdb_over_raw_parquet(http, api_lake) -> None:
    measures = "messages,conversations,users,tokens,cost,latency_p50,latency_p95,error_rate"
    body = http.get(
        "/v1/metrics",
        params={"measures": measures, "dimensions": "model", "from": FROM, "to": TO},
    ).json()
    got = {r["model"]: r for r in body["data"]}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    expected = con.sql(
        f"""
        SELECT model_id, count(*) AS messages, count(DISTINCT conversation_id) AS conversations,
               count(DISTINCT from_end_user_id) AS users,
               sum(coalesce(message_tokens, 0) + coalesce(answer_tokens, 0)) AS tokens,
               sum(coalesce(total_price, 0)) AS cost,
               quantile_cont(provider_response_latency, 0.5) AS p50,
               quantile_cont(provider_response_latency, 0.95) AS p95,
               avg(CASE WHEN lower(coalesce(status, '')) = 'error'
                         OR trim(coalesce(error, '')) <> '' THEN 1.0 ELSE 0.0 END) AS error_rate
        FROM {_raw(api_lake)} WHERE {WHERE} GROUP BY model_id
        """
    ).fetchall()
    assert len(expected) == len(got) > 1
    for model, messages, conversations, users, tokens, cost, p50, p95, error_rate in expected:
        row = got[model]
        assert row["messages"] == messages
        assert row["conversations"] == conversations
        assert row["users"] == users
        assert row["tokens"] == tokens
        assert row["cost"] == pytest.approx(cost)
        assert row["latency_p50"] == pytest.approx(p50)
        assert row["latency_p95"] == pytest.approx(p95)
        assert row["error_rate"] == pytest.approx(error_rate)


def test_day_by_topic_equals_duckdb_and_users_are_not_summed(http, api_lake) -> None:
    body = http.get(
        "/v1/metrics",
        params={
            "measures": "messages,users",
            "dimensions": "topic",
            "granularity": "day",
            "from": FROM,
            "to": TO,
        },
    ).json()
    got = {(r["period"][:10], r["topic"]): (r["messages"], r["users"]) for r in body["data"]}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.sql(
        f"""
        SELECT strftime(m.created_at, '%Y-%m-%d') AS day, coalesce(l.topic, 'unknown') AS topic,
               count(*), count(DISTINCT m.from_end_user_id)
        FROM {_raw(api_lake)} m LEFT JOIN {_labels(api_lake)} l ON l.message_id = m.id
        WHERE {WHERE.replace("created_at", "m.created_at")} GROUP BY ALL
        """
    ).fetchall()
    assert got == {(day, topic): (n, u) for day, topic, n, u in rows}
    total = http.get("/v1/metrics", params={"measures": "users", "from": FROM, "to": TO}).json()[
        "data"
    ][0]["users"]
    assert total < sum(u for _, u in got.values())  # distinct users over the range, not sums


def test_full_day_equals_the_daily_report(http) -> None:
    report = http.get(f"/v1/reports/daily/{DAYS[0]}").json()
    row = http.get(
        "/v1/metrics",
        params={"measures": "messages,conversations,users,tokens", "from": DAYS[0], "to": DAYS[1]},
    ).json()["data"][0]
    assert row["messages"] == report["messages"]
    assert row["users"] == report["users"]
    assert row["tokens"] == report["total_tokens"]


def test_filters_narrow_the_figures(http, api_lake) -> None:
    base = {"measures": "messages", "from": FROM, "to": TO}
    by_lang = http.get("/v1/metrics", params={**base, "dimensions": "language"}).json()["data"]
    language = max(by_lang, key=lambda r: r["messages"])["language"]
    only = http.get("/v1/metrics", params={**base, "language": language}).json()["data"][0]
    assert only["messages"] == max(r["messages"] for r in by_lang)
    errors = http.get("/v1/metrics", params={**base, "has_error": "true"}).json()["data"][0]
    error_rate = http.get("/v1/metrics", params={**base, "measures": "messages,error_rate"}).json()[
        "data"
    ][0]
    assert errors["messages"] == round(error_rate["error_rate"] * error_rate["messages"])
    user_id = duckdb.sql(
        f"SELECT from_end_user_id FROM {_raw(api_lake)} WHERE {WHERE} "
        "AND from_end_user_id IS NOT NULL LIMIT 1"
    ).fetchall()[0][0]
    key = pseudonym(user_id, Settings().pseudonym_key)
    expected = duckdb.sql(
        f"SELECT count(*) FROM {_raw(api_lake)} WHERE {WHERE} AND from_end_user_id = '{user_id}'"
    ).fetchall()[0][0]
    mine = http.get("/v1/metrics", params={**base, "user_key": key}).json()["data"][0]
    assert mine["messages"] == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"measures": "messages,revenue"}, "measures"),
        ({"measures": ""}, "measures"),
        ({"dimensions": "app,model,language,topic"}, "dimensions"),
        ({"dimensions": "colour"}, "dimensions"),
        ({"granularity": "minute"}, "granularity"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"topic": "x", "mood": "happy"}, "mood"),
    ],
)
def test_bad_metrics_parameters_are_422_naming_the_field(http, params, field) -> None:
    response = http.get("/v1/metrics", params=params)
    assert response.status_code == 422, response.text
    assert field in [f["field"] for f in response.json()["error"]["fields"]]
