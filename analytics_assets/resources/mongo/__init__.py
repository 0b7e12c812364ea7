"""MongoDB layer: the resource, the embedded server, collection specs and repositories.

`MongoResource` (resource key `mongo`) is the entry point; each repository module covers one
area: `conversations` (conversation_analytics, conversation_messages, conversation_categories),
`analytics` (analytics_reports), `translations` (conversation_translations), `users`
(user_analytics), `errors` (processing_errors).
"""

from analytics_assets.resources.mongo.analytics import ReportsRepository, report_id
from analytics_assets.resources.mongo.base import Repository, WriteCounts
from analytics_assets.resources.mongo.client import MongoResource, close_clients
from analytics_assets.resources.mongo.collections import SPECS, SchemaChanges, ensure_schema
from analytics_assets.resources.mongo.conversations import (
    CategoriesRepository,
    ConversationsRepository,
    MessagesRepository,
    category_id,
)
from analytics_assets.resources.mongo.errors import ErrorsRepository
from analytics_assets.resources.mongo.translations import TranslationsRepository
from analytics_assets.resources.mongo.users import UsersRepository

__all__ = [
    "SPECS",
    "CategoriesRepository",
    "ConversationsRepository",
    "ErrorsRepository",
    "MessagesRepository",
    "MongoResource",
    "ReportsRepository",
    "Repository",
    "SchemaChanges",
    "TranslationsRepository",
    "UsersRepository",
    "WriteCounts",
    "category_id",
    "close_clients",
    "ensure_schema",
    "report_id",
]
