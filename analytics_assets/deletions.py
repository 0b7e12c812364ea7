"""Deleted users stay deleted: the filter ingestion applies to every source row it stores.

`DELETE /v1/users/{user_key}` (analytics_assets/api/users.py) records the pseudonymous key in
MongoDB `deleted_users` and removes the user's rows from the lake and MongoDB. The source
(Dify / NocoDB) still has the rows, so without this filter the next ingestion of those days
would bring the user back. The raw assets read the list once per run (`deleted_user_keys`) and
pass their normalized rows through `drop_deleted_users`; every other asset derives from the
raw assets, so one filter at the entrance keeps the user out of all of them. With an empty
list both are no-ops.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from analytics_assets.privacy import pseudonym
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.deleted_users import DeletedUsersRepository

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

RAW_USER_COLUMN = "from_end_user_id"


def deleted_user_keys(mongo: MongoResource) -> frozenset[str]:
    """The pseudonymous keys of every deleted user (read once per run)."""
    return DeletedUsersRepository(mongo.db()).keys()


def raw_ids_of(values: list[str | None], deleted: frozenset[str], pseudonym_key: str) -> list[str]:
    """The raw source user ids among `values` whose keyed pseudonym is a deleted user."""
    return [v for v in set(values) if v and pseudonym(v, pseudonym_key) in deleted]


def drop_deleted_users(
    frame: pl.DataFrame,
    deleted: frozenset[str],
    pseudonym_key: str,
    user_column: str = RAW_USER_COLUMN,
) -> tuple[pl.DataFrame, int]:
    """`frame` without the rows of deleted users, and how many rows that withheld.

    Raw rows carry the source's id and deletions name the pseudonym, so the keyed hash runs
    once per distinct user id of the frame (users are far fewer than rows).
    """
    if not deleted or user_column not in frame.columns or frame.height == 0:
        return frame, 0
    raw_ids = raw_ids_of(frame[user_column].unique().to_list(), deleted, pseudonym_key)
    if not raw_ids:
        return frame, 0
    kept = frame.filter(~pl.col(user_column).is_in(raw_ids) | pl.col(user_column).is_null())
    return kept, frame.height - kept.height


def drop_deleted_keys(frame: Frame, deleted: frozenset[str], column: str = "user_key") -> Frame:
    """`frame` without the rows whose pseudonymous `column` names a deleted user (derived rows
    read by the API while a deletion is being applied)."""
    if not deleted:
        return frame
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    if column not in schema:
        return frame
    return frame.filter(~pl.col(column).is_in(list(deleted)) | pl.col(column).is_null())
