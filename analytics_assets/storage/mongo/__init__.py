"""MongoDB layer: the resource, the embedded server, collection specs and repositories.

`MongoResource` (resource key `mongo`) is the entry point; each repository module covers one
area: `conversations` (conversation_analytics, conversation_messages, conversation_categories),
`analytics` (analytics_reports), `translations` (conversation_translations), `users`
(user_analytics), `errors` (processing_errors).

Names are imported lazily: the embedded server process (`python -m
analytics_assets.storage.mongo.embedded`) imports this package and must not pay for Dagster
and Polars on every start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "MongoResource": "client",
    "close_clients": "client",
    "ReportsRepository": "reports",
    "report_id": "reports",
    "Repository": "base",
    "WriteCounts": "base",
    "SPECS": "collections",
    "SchemaChanges": "collections",
    "ensure_schema": "collections",
    "CategoriesRepository": "conversations",
    "ConversationsRepository": "conversations",
    "MessagesRepository": "conversations",
    "category_id": "conversations",
    "ErrorsRepository": "errors",
    "TranslationsRepository": "translations",
    "UsersRepository": "users",
}

__all__ = [
    "CategoriesRepository",
    "ConversationsRepository",
    "ErrorsRepository",
    "MessagesRepository",
    "MongoResource",
    "ReportsRepository",
    "Repository",
    "SPECS",
    "SchemaChanges",
    "TranslationsRepository",
    "UsersRepository",
    "WriteCounts",
    "category_id",
    "close_clients",
    "ensure_schema",
    "report_id",
]

if TYPE_CHECKING:
    from analytics_assets.storage.mongo.base import Repository, WriteCounts
    from analytics_assets.storage.mongo.client import MongoResource, close_clients
    from analytics_assets.storage.mongo.collections import SPECS, SchemaChanges, ensure_schema
    from analytics_assets.storage.mongo.conversations import (
        CategoriesRepository,
        ConversationsRepository,
        MessagesRepository,
        category_id,
    )
    from analytics_assets.storage.mongo.errors import ErrorsRepository
    from analytics_assets.storage.mongo.reports import ReportsRepository, report_id
    from analytics_assets.storage.mongo.translations import TranslationsRepository
    from analytics_assets.storage.mongo.users import UsersRepository


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
