"""Typed shapes of the documents the repositories store and return.

The repositories move documents as plain dicts in bulk (a model object per document would be
per-row Python work on the hot path); these `TypedDict`s give readers and type checkers the
field names and types the validators in `collections.py` enforce. `total=False` marks the
optional fields; extra fields other stages add are allowed by the validators.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

ErrorStatus = Literal["open", "resolved"]
PeriodType = Literal["daily", "weekly", "monthly"]


class _ErrorKey(TypedDict):
    asset: str
    partition: str
    stage: str
    record_id: str
    reason: str
    status: ErrorStatus
    first_seen: datetime
    last_seen: datetime
    attempts: int


class ErrorDocument(_ErrorKey, total=False):
    """`processing_errors`: one row-level failure of one asset partition."""

    record_type: str | None
    conversation_id: str | None
    message_id: str | None
    detail: str | None
    resolved_at: datetime | None


class ErrorSummaryRow(TypedDict):
    """One row of `ErrorsRepository.summary()`."""

    asset: str
    stage: str
    open: int
    partitions: int
    oldest_first_seen: datetime
    latest_last_seen: datetime


class _TranslationRequired(TypedDict):
    _id: str
    original: str
    translated: str
    source_language: str
    target_language: str
    backend: str


class TranslationDocument(_TranslationRequired, total=False):
    """`conversation_translations`: one cached translation (`_id` = the cache key)."""

    created_at: datetime
    updated_at: datetime


class _ReportRequired(TypedDict):
    _id: str
    period_type: PeriodType
    period_key: str
    period_start: str
    period_end: str


class ReportDocument(_ReportRequired, total=False):
    """`analytics_reports`: one period's report; the figures are extra fields."""

    created_at: datetime
    updated_at: datetime


class RecordCounts(TypedDict):
    """What `ErrorsRepository.record_partition` did."""

    recorded: int
    new: int
    resolved: int
