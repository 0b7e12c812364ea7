"""MongoResource built from the environment, as the code location builds it.

No `from __future__ import annotations`: Dagster checks the `context` annotation at runtime.
"""

import json
import os
import subprocess
import sys

from dagster import AssetExecutionContext, asset, materialize

from analytics_assets.storage.mongo import MongoResource


def test_from_settings_passes_the_uri_as_env_var(mongo_server, monkeypatch) -> None:
    uri = mongo_server.connection_uri
    monkeypatch.setenv("MONGODB_URI", uri)
    monkeypatch.setenv("MONGODB_DATABASE", mongo_server.database + "_settings")
    resource = MongoResource.from_settings()
    # The URI (it may hold a password) stays out of the resource config: only the variable.
    assert uri not in repr(resource) and "MONGODB_URI" in repr(resource)

    seen = {}

    @asset
    def uses_mongo(context: AssetExecutionContext, mongo: MongoResource) -> None:
        seen["db"] = mongo.db().name
        seen["ping"] = mongo.ping()["ok"]
        seen["open"] = mongo.errors().open_errors()

    try:
        assert materialize([uses_mongo], resources={"mongo": resource}).success
        assert seen == {"db": mongo_server.database + "_settings", "ping": 1.0, "open": []}
    finally:
        mongo_server.resource(database=mongo_server.database + "_settings").client().drop_database(
            mongo_server.database + "_settings"
        )


def test_embedded_default_path_comes_from_settings(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MONGO_EMBEDDED_PATH", str(tmp_path / "m"))
    monkeypatch.delenv("MONGODB_URI", raising=False)
    resource = MongoResource()
    assert resource.is_embedded
    assert resource.resolved_embedded_path() == str(tmp_path / "m")
    assert MongoResource(uri="mongodb://h:1/").is_embedded is False


def test_schema_command_twice_changes_nothing(mongo_server) -> None:
    """What a start script runs: the first call creates, the second reports no change."""
    database = mongo_server.database + "_cli"
    env = {**os.environ, "MONGODB_DATABASE": database}
    if not mongo_server.uri:
        env["MONGO_EMBEDDED_PATH"] = mongo_server.embedded_path
    command = [sys.executable, "-m", "analytics_assets.storage.mongo", "schema"]
    try:
        runs = [subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)]
        runs.append(subprocess.run(command, capture_output=True, text=True, env=env, timeout=120))
        first, second = (json.loads(r.stdout) for r in runs)
        assert len(first["created"]) == 7 and first["indexes_created"]
        assert second == {
            "database": database,
            "created": [],
            "validators_updated": [],
            "indexes_created": [],
            "indexes_rebuilt": [],
        }
    finally:
        mongo_server.resource(database=database).client().drop_database(database)
