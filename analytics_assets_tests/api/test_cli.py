"""`analytics-assets api-key create|list|revoke` and `analytics-assets serve` as a user runs
them: configuration from the environment only, the server on a free port, spoken to over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from analytics_assets.cli import main


@pytest.fixture
def env(monkeypatch, mongo_server, api_mongo, api_lake) -> dict[str, str]:
    values = {
        "MONGODB_URI": mongo_server.connection_uri,
        "MONGODB_DATABASE": api_mongo.database,
        "ANALYTICS_LAKE": str(api_lake),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_api_key_create_list_revoke(env, api_mongo, capsys) -> None:
    assert main(["api-key", "create", "--name", "cli-test", "--scope", "admin"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("aak_") and "shown once" in err
    key_id = key.split("_")[1]
    assert main(["api-key", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "cli-test" in listing and key not in listing
    assert main(["api-key", "revoke", key_id]) == 0
    assert main(["api-key", "revoke", key_id]) == 1  # already revoked
    doc = api_mongo.db()["api_keys"].find_one({"key_id": key_id})
    assert doc["revoked_at"] is not None and key not in str(doc)
    assert main(["api-key", "create", "--name", " "]) == 2


def test_serve_command_serves_the_lake(env, api_keys) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("analytics-assets")), "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(f"{base}/v1/health", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stdout.read() if process.stdout else "") from None
                time.sleep(0.5)
        assert health.status_code == 200
        assert health.json()["lake"]["newest_partition"]["raw_messages"] == "2026-11-03"
        metrics = httpx.get(
            f"{base}/v1/metrics",
            params={"from": "2026-11-02", "to": "2026-11-04"},
            headers={"Authorization": f"Bearer {api_keys.read}"},
        )
        assert metrics.status_code == 200 and metrics.json()["data"][0]["messages"] > 0
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_rejects_a_bad_port(env, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--port", "not-a-port"])
    assert main(["serve", "--port", "70000"]) == 2
    assert "1-65535" in capsys.readouterr().err
