"""Run `analytics-assets` as a user does: its own process, its own working directory.

The environment is the test's own: data under a temporary folder, MongoDB on the session's
test server (a unique database), no `DAGSTER_HOME` unless a test sets one, no `.env`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from analytics_assets_tests.fixtures.mongo import MongoTestServer

CLI = str(Path(sys.executable).with_name("analytics-assets"))
# Keys a developer's shell may carry that would send a test run elsewhere.
DROPPED = (
    "DAGSTER_HOME",
    "ANALYTICS_SOURCE",
    "ANALYTICS_LAKE",
    "ANALYTICS_DATA_DIR",
    "ANALYTICS_EXECUTOR",
    "TRANSLATOR",
    "TRANSLATOR_URL",
    "TRANSLATOR_API_KEY",
    "PSEUDONYM_KEY",
)


def cli_env(
    tmp: Path, mongo: MongoTestServer, database: str, extra: Mapping[str, str] = ()
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    env |= {
        "ANALYTICS_DATA_DIR": str(tmp / "data"),
        "MONGODB_DATABASE": database,
        "DEMO_MESSAGES_PER_DAY": "40",
        "PYTHONUNBUFFERED": "1",
    }
    if mongo.uri:
        env["MONGODB_URI"] = mongo.uri
    else:
        env["MONGO_EMBEDDED_PATH"] = mongo.embedded_path
    return env | dict(extra)


def run_cli(
    args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
