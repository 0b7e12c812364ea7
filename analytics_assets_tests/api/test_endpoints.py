"""Every /v1 endpoint over HTTP on the demo lake: health, OpenAPI, reports, users, errors,
request ids and bounded, named parameter errors."""

from __future__ import annotations

import logging

import httpx
import pytest

from analytics_assets_tests.api.conftest import DAYS


def test_health_lists_the_newest_partition_per_asset(api_url) -> None:
    body = httpx.get(f"{api_url}/v1/health").json()
    assert body["status"] == "ok"
    assert body["lake"]["reachable"] is True
    newest = body["lake"]["newest_partition"]
    assert newest["raw_messages"] == DAYS[-1]
    assert newest["conversation_analytics"] == DAYS[-1]


def test_openapi_and_docs(api_url) -> None:
    spec = httpx.get(f"{api_url}/openapi.json").json()
    for path in (
        "/v1/conversations",
        "/v1/conversations/{conversation_id}",
        "/v1/metrics",
        "/v1/reports/{period_type}/{key}",
        "/v1/users/{user_key}",
        "/v1/users/{user_key}/export",
        "/v1/errors",
        "/v1/health",
    ):
        assert path in spec["paths"], path
    assert "delete" in spec["paths"]["/v1/users/{user_key}"]
    docs = httpx.get(f"{api_url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_request_id_is_returned_and_logged(http, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="analytics_assets.api"):
        response = http.get(
            "/v1/errors", params={"limit": 1}, headers={"X-Request-ID": "test-req-0001"}
        )
    assert response.headers["X-Request-ID"] == "test-req-0001"
    lines = [r.getMessage() for r in caplog.records if "test-req-0001" in r.getMessage()]
    assert lines and "status=200" in lines[0]
    assert "aak_" not in " ".join(r.getMessage() for r in caplog.records)
    fresh = http.get("/v1/errors", params={"limit": 1})
    assert len(fresh.headers["X-Request-ID"]) == 32


def test_daily_report(http) -> None:
    body = http.get(f"/v1/reports/daily/{DAYS[0]}").json()
    assert body["period_key"] == DAYS[0]
    assert body["messages"] > 0
    assert "html_path" not in body


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/v1/reports/daily/2026-13-40", 422, "key"),
        ("/v1/reports/hourly/2026-11-02", 422, "period_type"),
        ("/v1/reports/daily/2020-01-01", 404, None),
        ("/v1/reports/weekly/2020-W02", 404, None),
    ],
)
def test_report_bad_keys(http, path, status, field) -> None:
    response = http.get(path)
    assert response.status_code == status
    if field:
        assert field in [f["field"] for f in response.json()["error"]["fields"]]


def test_user_profile_and_export(http, admin_http) -> None:
    first = http.get(
        "/v1/conversations", params={"from": DAYS[0], "to": "2026-11-04", "limit": 1}
    ).json()["data"][0]
    user_key = first["user_key"]
    profile = http.get(f"/v1/users/{user_key}").json()
    assert profile["user_key"] == user_key
    assert profile["retention"]["active_days"] >= 1
    assert profile["over_time"] and profile["over_time"][0]["conversations"] >= 1
    assert sum(profile["topics"].values()) >= 1
    export = admin_http.get(f"/v1/users/{user_key}/export").json()
    assert first["conversation_id"] in export["conversation_ids"]
    labeled = export["lake"]["categorized_messages"]
    assert labeled and {r["user_key"] for r in labeled} == {user_key}
    assert export["mongodb"]["user_analytics"][0]["_id"] == user_key
    assert "from_end_user_id" not in str(export)
    assert http.get("/v1/users/0123456789abcdef").status_code == 404
    assert http.get("/v1/users/NOT-A-KEY").status_code == 422


def test_errors_lists_open_errors_with_ids_and_reasons(http) -> None:
    body = http.get("/v1/errors", params={"asset": "raw_messages", "limit": 1000}).json()
    assert body["count"] > 0
    for item in body["data"]:
        assert item["status"] == "open"
        assert item["asset"] == "raw_messages"
        assert item["reason"] and item["record_id"]
        assert item["id"].startswith(f"raw_messages/{item['partition']}/")
    one = http.get("/v1/errors", params={"partition": DAYS[0], "limit": 1000}).json()
    assert {e["partition"] for e in one["data"]} == {DAYS[0]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-03", "to": "2026-11-02"}, "from"),
        ({"from": "2020-01-01", "to": "2026-11-02"}, "to"),
        ({"sort": "nonsense"}, "sort"),
        ({"colour": "blue"}, "colour"),
        ({"has_error": "maybe"}, "has_error"),
        ({"cursor": "garbage!!"}, "cursor"),
    ],
)
def test_bad_conversation_parameters_are_422_naming_the_field(http, params, field) -> None:
    response = http.get("/v1/conversations", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert field in [f["field"] for f in error["fields"]]
    assert "Traceback" not in response.text


def test_unknown_route_and_method(http) -> None:
    assert http.get("/v1/nothing").status_code == 404
    assert http.post("/v1/metrics").status_code == 405
