"""The code location loads and the UI serves it: what `make ui` promises.

Starts the real `dagster-webserver` on a free loopback port against `workspace.yaml` and asks
its GraphQL API for the assets and their partitions, as the UI does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_definitions_validate(tmp_path: Path) -> None:
    env = os.environ | {"DAGSTER_HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_webserver_serves_assets_and_partitions(tmp_path: Path) -> None:
    port = _free_port()
    env = os.environ | {"DAGSTER_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/server_info", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "webserver did not answer within 120 s"
            time.sleep(1)
        query = """
        { assetNodes { assetKey { path } partitionDefinition { type } partitionKeysByDimension {
            partitionKeys } } }
        """
        deadline = time.monotonic() + 60
        while True:
            data = requests.post(f"{base}/graphql", json={"query": query}, timeout=30).json()
            nodes = (data.get("data") or {}).get("assetNodes") or []
            if nodes or time.monotonic() > deadline:
                break
            time.sleep(1)
        by_name = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        for name in ("raw_conversations", "raw_messages"):
            assert name in by_name, sorted(by_name)
            node = by_name[name]
            assert node["partitionDefinition"]["type"] == "TIME_WINDOW"
            keys = node["partitionKeysByDimension"][0]["partitionKeys"]
            assert keys[0] == os.environ.get("PARTITIONS_START_DATE", "2025-01-01")
            assert len(keys) > 300
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
