"""Fixtures of the API tests: a real lake of demo days, its own MongoDB database on the embedded
server, and the app on uvicorn on a free port, spoken to over HTTP.

The lake is materialized once per package (two demo days through every daily asset, about a
minute on this machine); tests that change data (the deletion path) build their own.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from dagster import (
    DagsterInstance,
    DailyPartitionsDefinition,
    load_asset_checks_from_modules,
    load_assets_from_modules,
    materialize,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from fastapi import FastAPI

from analytics_assets.api.app import create_app
from analytics_assets.definitions import ASSET_MODULES, defs
from analytics_assets.resources import build_resources
from analytics_assets.settings import Settings
from analytics_assets.sources.demo.resource import DemoSourceResource
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.api_keys import ApiKeysRepository
from analytics_assets.storage.parquet import LakeIOManager

DAYS = ("2026-11-02", "2026-11-03")
SEED = 7
MESSAGES_PER_DAY = 300


def daily_asset_keys():
    graph = defs.resolve_asset_graph()
    return [
        k
        for k in graph.materializable_asset_keys
        if isinstance(graph.get(k).partitions_def, DailyPartitionsDefinition)
    ]


def materialize_days(
    lake: Path, mongo: MongoResource, instance: DagsterInstance, days: tuple[str, ...] = DAYS
) -> None:
    """Every daily asset (raw → categorized → translated → analytics → daily report) for `days`
    of the demo source, into `lake` and `mongo`."""
    resources = build_resources() | {
        "io_manager": LakeIOManager(base_path=str(lake)),
        "source": DemoSourceResource(seed=SEED, messages_per_day=MESSAGES_PER_DAY),
        "mongo": mongo,
    }
    result = materialize(
        [*load_assets_from_modules(ASSET_MODULES), *load_asset_checks_from_modules(ASSET_MODULES)],
        selection=daily_asset_keys(),
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: days[0], ASSET_PARTITION_RANGE_END_TAG: days[-1]},
        resources=resources,
    )
    assert result.success


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` on uvicorn in a thread, on a port the OS picked; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture(scope="package")
def api_mongo(mongo_server) -> Iterator[MongoResource]:
    """A MongoDB database of its own (the API tests' keys and deletions touch no other test)."""
    resource = mongo_server.resource(database=f"api_{uuid.uuid4().hex[:10]}")
    resource.ensure_schema()
    try:
        yield resource
    finally:
        resource.client().drop_database(resource.database)


@pytest.fixture(scope="package")
def api_instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture(scope="package")
def api_lake(tmp_path_factory, api_mongo, api_instance) -> Path:
    lake = tmp_path_factory.mktemp("api-lake")
    materialize_days(lake, api_mongo, api_instance)
    return lake


@dataclass(frozen=True)
class Keys:
    read: str
    admin: str
    revoked: str
    revoked_id: str


@pytest.fixture(scope="package")
def api_keys(api_mongo) -> Keys:
    repo = ApiKeysRepository(api_mongo.db())
    repo.ensure_indexes()
    read, _ = repo.create("tests-read", "read")
    admin, _ = repo.create("tests-admin", "admin")
    revoked, doc = repo.create("tests-revoked", "read")
    assert repo.revoke(doc["key_id"])
    return Keys(read=read, admin=admin, revoked=revoked, revoked_id=doc["key_id"])


@pytest.fixture(scope="package")
def api_url(api_lake, api_mongo) -> Iterator[str]:
    app = create_app(
        io=LakeIOManager(base_path=str(api_lake)), mongo=api_mongo, settings=Settings()
    )
    with serving(app) as url:
        yield url


@pytest.fixture
def http(api_url, api_keys) -> Iterator[httpx.Client]:
    """An HTTP client with the read key."""
    with httpx.Client(
        base_url=api_url, headers={"Authorization": f"Bearer {api_keys.read}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture
def admin_http(api_url, api_keys) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=api_url, headers={"X-API-Key": api_keys.admin}, timeout=60
    ) as client:
        yield client
