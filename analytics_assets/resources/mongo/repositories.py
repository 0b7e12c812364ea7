"""Collection name → repository class, for code that picks the collection at run time."""

from __future__ import annotations

from pymongo.database import Database

from analytics_assets.resources.mongo.analytics import ReportsRepository
from analytics_assets.resources.mongo.base import Repository
from analytics_assets.resources.mongo.conversations import (
    CategoriesRepository,
    ConversationsRepository,
    MessagesRepository,
)
from analytics_assets.resources.mongo.errors import ErrorsRepository
from analytics_assets.resources.mongo.translations import TranslationsRepository
from analytics_assets.resources.mongo.users import UsersRepository

REPOSITORIES: dict[str, type[Repository]] = {
    cls.collection_name: cls
    for cls in (
        ConversationsRepository,
        MessagesRepository,
        CategoriesRepository,
        TranslationsRepository,
        ReportsRepository,
        UsersRepository,
        ErrorsRepository,
    )
}


def repository_for(db: Database, collection: str) -> Repository:
    """The area repository of `collection`, or a generic one for a collection without spec."""
    cls = REPOSITORIES.get(collection)
    return cls(db) if cls is not None else Repository(db, collection)
