"""MongoResource built from the environment, as the code location builds it.

No `from __future__ import annotations`: Dagster checks the `context` annotation at runtime.
"""

from dagster import AssetExecutionContext, asset, materialize

from analytics_assets.resources.mongo import MongoResource


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
