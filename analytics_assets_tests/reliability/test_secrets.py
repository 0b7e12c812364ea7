"""Known secret values never reach logs, errors, run tags, metadata or the event log.

One real `analytics-assets run` in its own process with every secret set to a value nobody
else uses: the S3 keys of the lake (moto server), the translator's API key (LibreTranslate
stand-in), and a MongoDB URI with a password (an embedded server of its own with a user, so
the shared test server stays without users). Then every byte the run left behind is searched:
its stdout and stderr, the instance folder (SQLite event log, run storage, run tags) and the
lake. The NocoDB token is searched the same way after a failing run, in
`test_cli_errors.py::test_nocodb_outage_is_one_paragraph_and_the_trace_is_in_the_event_log`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pymongo
import pytest
from dagster import DagsterInstance

from analytics_assets.storage.mongo import embedded
from analytics_assets_tests.fixtures.mongo import MongoTestServer
from analytics_assets_tests.fixtures.s3 import S3Server
from analytics_assets_tests.fixtures.translation_servers import LibreTranslateServer
from analytics_assets_tests.reliability.cli_process import cli_env, run_cli


def _bytes_under(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.s3
def test_secret_values_appear_nowhere(
    tmp_path: Path,
    s3_server: S3Server,
    s3_prefix: str,
    libretranslate_server: LibreTranslateServer,
) -> None:
    mark = uuid.uuid4().hex[:10]
    secrets = {
        "AWS_ACCESS_KEY_ID": f"AKIA{mark.upper()}",
        "AWS_SECRET_ACCESS_KEY": f"s3-secret-{mark}",
        "TRANSLATOR_API_KEY": f"translator-key-{mark}",
        "mongo password": f"mongo-pw-{mark}",
    }
    mongo_path = tmp_path / "mongo"
    plain = embedded.ensure_server(str(mongo_path))
    try:
        admin = pymongo.MongoClient(plain)
        admin.admin.command("createUser", "alice", pwd=secrets["mongo password"], roles=["root"])
        admin.close()
        host = plain.split("//")[1].split("/")[0]
        uri = f"mongodb://alice:{secrets['mongo password']}@{host}/?authSource=admin"
        server = MongoTestServer(uri=uri, embedded_path="", database=f"sec_{mark}")
        env = cli_env(
            tmp_path,
            server,
            server.database,
            {
                "ANALYTICS_LAKE": s3_prefix,
                "S3_ENDPOINT_URL": s3_server.endpoint_url,
                "AWS_ACCESS_KEY_ID": secrets["AWS_ACCESS_KEY_ID"],
                "AWS_SECRET_ACCESS_KEY": secrets["AWS_SECRET_ACCESS_KEY"],
                "TRANSLATOR": "libretranslate",
                "TRANSLATOR_URL": libretranslate_server.url,
                "TRANSLATOR_API_KEY": secrets["TRANSLATOR_API_KEY"],
                "DEMO_MESSAGES_PER_DAY": "30",
            },
        )
        env.pop("AWS_SESSION_TOKEN", None)
        args = ["run", "--days", "1", "--no-week", "--today", "2026-11-04"]
        done = run_cli(args, env, tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert libretranslate_server.requests, "the translator was never called"
        assert any(
            secrets["TRANSLATOR_API_KEY"] in str(r) for r in libretranslate_server.requests
        ), "the key was not even sent: the test would prove nothing"

        home = tmp_path / ".dagster"
        with DagsterInstance.from_config(str(home)) as instance:
            runs = instance.get_runs()
            assert len(runs) == 1
            tags = "\n".join(f"{k}={v}" for run in runs for k, v in run.tags.items())
            configs = "\n".join(str(run.run_config) for run in runs)
        output = done.stdout + done.stderr
        stored = _bytes_under(home)
        s3 = s3_server.client()
        keys = s3.list_objects_v2(Bucket=s3_server.bucket, Prefix=s3_prefix.split("/", 3)[-1])
        assert keys.get("KeyCount", 0) > 0  # the lake really is on S3
        leaks = {
            name: where
            for name, value in secrets.items()
            for where, text in (
                ("output", output),
                ("run tags", tags),
                ("run config", configs),
                ("instance storage", stored.decode("utf-8", "replace")),
            )
            if value in text
        }
        assert not leaks, leaks
    finally:
        embedded.stop_server(mongo_path)
