"""`DELETE /v1/users/{key}` over HTTP: the user leaves every lake table and collection, the
deletion is recorded with counts, and a later re-materialization does not bring them back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import duckdb
import httpx
import pytest
from dagster import DagsterInstance

from analytics_assets.api.app import create_app
from analytics_assets.privacy import pseudonym
from analytics_assets.settings import Settings
from analytics_assets.storage.mongo.api_keys import ApiKeysRepository
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.api.conftest import DAYS, materialize_days, serving

DAY = (DAYS[0],)
USER_KEYED = ("categorized_messages", "conversation_analytics", "user_analytics")
COLLECTIONS = ("user_analytics", "conversation_analytics", "conversation_messages")


@pytest.fixture
def world(tmp_path, mongo_server) -> Iterator[dict]:
    """One demo day in a lake and a MongoDB database of this test alone, served."""
    mongo = mongo_server.resource(database=f"api_del_{uuid.uuid4().hex[:10]}")
    mongo.ensure_schema()
    lake = tmp_path / "lake"
    with DagsterInstance.ephemeral() as instance:
        materialize_days(lake, mongo, instance, DAY)
        repo = ApiKeysRepository(mongo.db())
        admin, _ = repo.create("tests-admin", "admin")
        app = create_app(io=LakeIOManager(base_path=str(lake)), mongo=mongo, settings=Settings())
        with (
            serving(app) as url,
            httpx.Client(base_url=url, headers={"X-API-Key": admin}, timeout=120) as http,
        ):
            yield {"lake": lake, "mongo": mongo, "instance": instance, "http": http}
    mongo.client().drop_database(mongo.database)


def _raw_ids_of(lake, user_key: str) -> list[str]:
    ids = duckdb.sql(
        f"SELECT DISTINCT from_end_user_id FROM read_parquet('{lake}/raw_messages/*/*.parquet') "
        "WHERE from_end_user_id IS NOT NULL"
    ).fetchall()
    key = Settings().pseudonym_key
    return [i for (i,) in ids if pseudonym(i, key) == user_key]


def _lake_count(lake, asset: str, where: str) -> int:
    return duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{lake}/{asset}/*/*.parquet') WHERE {where}"
    ).fetchall()[0][0]


def _traces(world, user_key: str, raw_ids: list[str], conversation_ids: list[str]) -> dict:
    lake, db = world["lake"], world["mongo"].db()
    quoted = ", ".join(f"'{c}'" for c in conversation_ids)
    raw = ", ".join(f"'{r}'" for r in raw_ids)
    found = {a: _lake_count(lake, a, f"user_key = '{user_key}'") for a in USER_KEYED}
    found["translated_messages"] = _lake_count(
        lake, "translated_messages", f"conversation_id IN ({quoted})"
    )
    for asset in ("raw_messages", "raw_conversations"):
        found[asset] = _lake_count(lake, asset, f"from_end_user_id IN ({raw})")
    for name in COLLECTIONS:
        found[f"mongo.{name}"] = db[name].count_documents({"user_key": user_key})
    found["mongo.conversation_categories"] = db["conversation_categories"].count_documents(
        {"conversation_id": {"$in": conversation_ids}}
    )
    return found


def test_delete_removes_the_user_everywhere_and_survives_a_rerun(world) -> None:
    http = world["http"]
    rows = http.get("/v1/conversations", params={"from": DAY[0], "to": DAYS[1], "limit": 1}).json()[
        "data"
    ]
    user_key = rows[0]["user_key"]
    export = http.get(f"/v1/users/{user_key}/export").json()
    conversation_ids = export["conversation_ids"]
    raw_ids = _raw_ids_of(world["lake"], user_key)
    assert len(raw_ids) == 1
    before = _traces(world, user_key, raw_ids, conversation_ids)
    assert before["categorized_messages"] > 0 and before["raw_messages"] > 0
    assert before["mongo.user_analytics"] == 1
    metrics_before = http.get(
        "/v1/metrics", params={"measures": "messages", "from": DAY[0], "to": DAYS[1]}
    ).json()["data"][0]["messages"]

    response = http.delete(f"/v1/users/{user_key}")
    assert response.status_code == 200, response.text
    removed = response.json()["removed"]
    assert removed["lake"]["categorized_messages"] == before["categorized_messages"]
    assert removed["lake"]["raw_messages"] == before["raw_messages"]
    assert removed["mongodb"]["user_analytics"] == 1
    after = _traces(world, user_key, raw_ids, conversation_ids)
    assert set(after.values()) == {0}, after
    record = world["mongo"].db()["deleted_users"].find_one({"_id": user_key})
    assert record["last_removed"] == removed == record["removed_total"]
    assert record["requested_by"]

    assert http.get(f"/v1/users/{user_key}").status_code == 404
    assert http.get(f"/v1/users/{user_key}/export").status_code == 404
    assert http.get(f"/v1/conversations/{conversation_ids[0]}").status_code == 404
    listed = http.get(
        "/v1/conversations", params={"from": DAY[0], "to": DAYS[1], "user_key": user_key}
    ).json()
    assert listed["data"] == []
    metrics_after = http.get(
        "/v1/metrics", params={"measures": "messages", "from": DAY[0], "to": DAYS[1]}
    ).json()["data"][0]["messages"]
    assert metrics_after == metrics_before - before["raw_messages"]

    # The source still has the user's rows: a re-materialization must withhold them.
    materialize_days(world["lake"], world["mongo"], world["instance"], DAY)
    again = _traces(world, user_key, raw_ids, conversation_ids)
    assert set(again.values()) == {0}, again
    assert http.get(f"/v1/users/{user_key}").status_code == 404
    report = http.get(f"/v1/reports/daily/{DAY[0]}").json()
    assert report["messages"] == metrics_after  # the aggregates dropped the user too

    repeat = http.delete(f"/v1/users/{user_key}")
    assert repeat.status_code == 200
    assert {n for counts in repeat.json()["removed"].values() for n in counts.values()} == {0}
    record = world["mongo"].db()["deleted_users"].find_one({"_id": user_key})
    assert record["removed_total"] == removed  # the first call's counts are kept
