"""API keys over HTTP: missing, wrong, revoked, read key on an admin route; hashed storage."""

from __future__ import annotations

import hashlib
import time

import httpx

from analytics_assets.storage.mongo.api_keys import ApiKeysRepository

PROTECTED = "/v1/metrics?from=2026-11-02&to=2026-11-03"


def test_health_needs_no_key(api_url) -> None:
    response = httpx.get(f"{api_url}/v1/health")
    assert response.status_code == 200
    assert response.json()["mongodb"]["reachable"] is True


def test_no_key_is_401_with_a_json_error(api_url) -> None:
    response = httpx.get(f"{api_url}{PROTECTED}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "missing_api_key"
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_wrong_and_malformed_keys_are_401_and_not_echoed(api_url, api_keys) -> None:
    wrong = api_keys.read[:-4] + ("aaaa" if not api_keys.read.endswith("aaaa") else "bbbb")
    for key in (wrong, "not-a-key", "aak_000000000000_x"):
        response = httpx.get(f"{api_url}{PROTECTED}", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401, key
        assert response.json()["error"]["code"] == "invalid_api_key"
        assert key not in response.text


def test_revoked_key_is_401(api_url, api_keys) -> None:
    response = httpx.get(f"{api_url}{PROTECTED}", headers={"X-API-Key": api_keys.revoked})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_key_revoked_while_in_use_stops_working(api_url, api_mongo) -> None:
    repo = ApiKeysRepository(api_mongo.db())
    key, doc = repo.create("tests-soon-revoked", "read")
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{api_url}{PROTECTED}", headers=headers).status_code == 200
    assert repo.revoke(doc["key_id"])
    deadline = time.monotonic() + 10  # verified keys are remembered for VERIFY_TTL_S (5 s)
    status = 200
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        status = httpx.get(f"{api_url}{PROTECTED}", headers=headers).status_code
    assert status == 401


def test_read_key_on_admin_route_is_403(api_url, api_keys) -> None:
    response = httpx.get(
        f"{api_url}/v1/users/0123456789abcdef/export",
        headers={"Authorization": f"Bearer {api_keys.read}"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    deleting = httpx.delete(
        f"{api_url}/v1/users/0123456789abcdef", headers={"X-API-Key": api_keys.read}
    )
    assert deleting.status_code == 403


def test_keys_are_stored_as_digests_only(api_mongo, api_keys) -> None:
    docs = list(api_mongo.db()["api_keys"].find({}))
    assert docs
    stored = " ".join(str(d) for d in docs)
    for key in (api_keys.read, api_keys.admin):
        assert key not in stored
        assert hashlib.sha256(key.encode()).hexdigest() in stored
    listed = ApiKeysRepository(api_mongo.db()).list()
    assert all("sha256" not in k for k in listed)
