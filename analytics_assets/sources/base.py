"""The interface every conversation source implements (demo generator, NocoDB).

Switching source is configuration (`ANALYTICS_SOURCE=demo|nocodb`): the raw assets depend on a
`SourceResource` and never on a concrete source.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime

import polars as pl
from dagster import ConfigurableResource


class SourceResource(ConfigurableResource):
    """Rows of Dify's `conversations` and `messages` tables created in a time window.

    Both methods take a half-open UTC window `[start, end)` on `created_at` and return a frame
    in the wire schema (`schemas.CONVERSATIONS_WIRE_SCHEMA` / `MESSAGES_WIRE_SCHEMA`), with
    rows ordered by `created_at` then `id`. A source returns malformed rows as they are (the
    ingestion step separates them); it raises only when the source itself is unusable.
    """

    @abstractmethod
    def fetch_conversations(self, start: datetime, end: datetime) -> pl.DataFrame: ...

    @abstractmethod
    def fetch_messages(self, start: datetime, end: datetime) -> pl.DataFrame: ...

    @property
    def source_name(self) -> str:
        return type(self).__name__
