"""`MongoResource`: the one way assets reach MongoDB.

`uri` set (`MONGODB_URI`): that server. `uri` empty: the embedded wire-protocol server under
`embedded_path` (`MONGO_EMBEDDED_PATH`, default `./.data/mongo`), started once per path and
shared by every process (`embedded.py`). Either way the code and queries are the same.

The pymongo client is cached per process and URI (pymongo clients are thread-safe and pool
connections; they must not cross a fork, hence the pid in the key), and `ensure_schema()`
runs automatically once per process and database on first use, so no asset depends on an
explicit set-up step.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field
from pymongo import MongoClient
from pymongo.database import Database

from analytics_assets.settings import Settings, get_settings
from analytics_assets.storage.mongo import embedded
from analytics_assets.storage.mongo.collections import SchemaChanges, ensure_schema
from analytics_assets.storage.mongo.conversations import (
    CategoriesRepository,
    ConversationsRepository,
    MessagesRepository,
)
from analytics_assets.storage.mongo.errors import ErrorsRepository
from analytics_assets.storage.mongo.reports import ReportsRepository
from analytics_assets.storage.mongo.translations import TranslationsRepository
from analytics_assets.storage.mongo.users import UsersRepository

_LOCK = threading.Lock()
_CLIENTS: dict[tuple[int, str], MongoClient] = {}
_SCHEMA_READY: set[tuple[int, str, str]] = set()
_EMBEDDED_URIS: dict[tuple[int, str], str] = {}


def _client_for(uri: str) -> MongoClient:
    key = (os.getpid(), uri)
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            # tz_aware: dates come back as UTC-aware datetimes, equal to what was written.
            client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=15_000)
            _CLIENTS[key] = client
        return client


def close_clients() -> None:
    """Close this process's cached clients (tests, before stopping an embedded server)."""
    with _LOCK:
        for (pid, _), client in list(_CLIENTS.items()):
            if pid == os.getpid():
                client.close()
        _CLIENTS.clear()
        _SCHEMA_READY.clear()
        _EMBEDDED_URIS.clear()


class MongoResource(ConfigurableResource):
    """MongoDB connection, schema and repositories (one per collection area).

    Build it from the environment with `MongoResource.from_settings()`: the URI goes through
    `EnvVar` (it may carry a password), so it never shows in run config or logs.
    """

    uri: str = Field(
        default="",
        description="MongoDB connection string (MONGODB_URI); empty starts the embedded server",
    )
    database: str = Field(default="conversation_analytics", description="MONGODB_DATABASE")
    embedded_path: str = Field(
        default="",
        description="storage path of the embedded server (MONGO_EMBEDDED_PATH); empty means "
        "get_settings().mongo_embedded_path, i.e. ./.data/mongo",
    )

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, outside_dagster: bool = False
    ) -> MongoResource:
        """The one factory of the MongoDB resource: assets, sensors, the CLI and the API.

        In the code location the URI stays an `EnvVar` (Dagster resolves it when a run starts
        and never shows it); `outside_dagster=True` (the CLI, the API) puts the value itself,
        since nothing would resolve an `EnvVar` there.
        """
        settings = settings or get_settings()
        uri: str | EnvVar = ""
        if settings.mongodb_uri:
            uri = settings.mongodb_uri if outside_dagster else EnvVar("MONGODB_URI")
        return cls(
            uri=uri,
            database=settings.mongodb_database,
            embedded_path=settings.mongo_embedded_path,
        )

    # -- connection -------------------------------------------------------------------------

    @property
    def is_embedded(self) -> bool:
        return not self.uri

    def resolved_embedded_path(self) -> str:
        return self.embedded_path or get_settings().mongo_embedded_path

    def connection_uri(self) -> str:
        """The URI to connect to, starting the embedded server when no URI is configured."""
        if self.uri:
            return self.uri
        key = (os.getpid(), self.resolved_embedded_path())
        uri = _EMBEDDED_URIS.get(key)
        # A cached URI of a server that died (killed, restarted on another port) is dropped,
        # so a long-lived process reaches the restarted server instead of a dead port.
        if uri is not None and embedded.running_uri(key[1]) != uri:
            uri = None
        if uri is None:
            uri = embedded.ensure_server(key[1])
            with _LOCK:
                _EMBEDDED_URIS[key] = uri
        return uri

    def client(self) -> MongoClient:
        return _client_for(self.connection_uri())

    def db(self) -> Database:
        """The database, with the schema ensured once per process."""
        database = self.client()[self.database]
        key = (os.getpid(), self.connection_uri(), self.database)
        if key not in _SCHEMA_READY:
            ensure_schema(database)
            with _LOCK:
                _SCHEMA_READY.add(key)
        return database

    def ensure_schema(self) -> SchemaChanges:
        """Create/update collections, validators and indexes now; returns what changed."""
        changes = ensure_schema(self.client()[self.database])
        with _LOCK:
            _SCHEMA_READY.add((os.getpid(), self.connection_uri(), self.database))
        return changes

    def ping(self) -> dict[str, Any]:
        return self.client().admin.command("ping")

    # -- repositories -----------------------------------------------------------------------

    def errors(self) -> ErrorsRepository:
        return ErrorsRepository(self.db())

    def categories(self) -> CategoriesRepository:
        return CategoriesRepository(self.db())

    def conversations(self) -> ConversationsRepository:
        return ConversationsRepository(self.db())

    def messages(self) -> MessagesRepository:
        return MessagesRepository(self.db())

    def reports(self) -> ReportsRepository:
        return ReportsRepository(self.db())

    def users(self) -> UsersRepository:
        return UsersRepository(self.db())

    def translations(self) -> TranslationsRepository:
        return TranslationsRepository(self.db())
