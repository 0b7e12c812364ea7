"""raw_messages -> translated_messages: detect, decide, look up the cache, translate the rest.

This is the whole logic of the `translated_messages` asset as a function of frames plus the
two outside parts it needs (a translator and a cache), so it is tested without Dagster.

Each message has two texts, the user's `query` and the bot's `answer`; each is detected and
translated on its own (a bot may answer in another language than it was asked). Per text:

    empty                          -> skipped         ("empty text")
    language unknown               -> skipped         (numeric, emoji-only, too short)
    language == target             -> same_language
    translator is `none`           -> not_configured
    in the cache                   -> cached          (no request)
    sent                           -> translated | failed | budget_exhausted

The message's `translation_status` is the most important of its two texts' statuses (failed >
budget_exhausted > not_configured > translated > cached > same_language > skipped), and
`translation_reason` names the text each reason belongs to. The message's `language` is the
query's, or the answer's when the query has none (a bare "ok" or a sticker).

Texts are deduplicated before the cache and the translator see them: a key is the sha256 of
(backend, source, target, text), so the same text is paid for once, ever, per backend.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import polars as pl

from analytics_assets.defs.categorization.language import (
    UNKNOWN,
    DetectionSettings,
    detect_languages,
    message_language,
)
from analytics_assets.defs.translation.backends.base import Translator
from analytics_assets.defs.translation.engine import (
    BUDGET_EXHAUSTED,
    FAILED,
    TRANSLATED,
    TranslationEngine,
)
from analytics_assets.privacy import mask_pii_expr
from analytics_assets.schemas import PROCESSING_ERRORS_SCHEMA, UTC_TS, conform

CACHED = "cached"
SAME_LANGUAGE = "same_language"
SKIPPED = "skipped"
NOT_CONFIGURED = "not_configured"

STATUSES = (FAILED, BUDGET_EXHAUSTED, NOT_CONFIGURED, TRANSLATED, CACHED, SAME_LANGUAGE, SKIPPED)
# Rank used to pick a message's status from its two texts: first in STATUSES wins.
_RANK = {status: len(STATUSES) - i for i, status in enumerate(STATUSES)}

REASON_EMPTY = "empty text"
REASON_UNKNOWN = "no language detected (numeric, emoji-only or too short)"
REASON_NOT_CONFIGURED = "no translator configured (TRANSLATOR=none)"

TRANSLATED_MESSAGES_SCHEMA = pl.Schema(
    {
        "message_id": pl.String(),
        "conversation_id": pl.String(),
        "created_at": UTC_TS,
        "language": pl.String(),
        "language_confidence": pl.Float64(),
        "target_language": pl.String(),
        "query_translated": pl.String(),
        "answer_translated": pl.String(),
        "translation_status": pl.String(),
        "translation_reason": pl.String(),
        "backend": pl.String(),
    }
)

_FIELDS = ("query", "answer")
_DETAIL_CHARS = 200


class TranslationCache(Protocol):
    """Where finished translations live (MongoDB `conversation_translations`)."""

    def get_many(self, keys: list[str]) -> Mapping[str, Mapping[str, Any]]: ...

    def put_many(self, docs: list[dict[str, Any]]) -> Any: ...


@dataclass
class TranslationRun:
    """What one partition's translation produced."""

    messages: pl.DataFrame
    errors: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def cache_key(text: str, source: str, target: str, backend: str) -> str:
    """sha256 of (backend, source, target, text): the identity of one paid translation."""
    payload = "\x1f".join((backend, source, target, text)).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def _with_keys(pending: pl.DataFrame, target: str, backend: str) -> pl.DataFrame:
    """Add `key` to unique (text, language) rows.

    hashlib runs once per *distinct* text that needs a translation: Polars has no stable
    cryptographic hash, and the key must stay the same across versions because it is stored.
    """
    texts = pending["text"].to_list()
    sources = pending["language"].to_list()
    keys = [cache_key(t, s, target, backend) for t, s in zip(texts, sources, strict=True)]
    return pending.with_columns(key=pl.Series(keys, dtype=pl.String))


def _field_frame(messages: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            messages.select(
                pl.col("id").alias("message_id"),
                pl.lit(name).alias("field"),
                # Masked before the translator, the cache and the output see it (privacy.py).
                mask_pii_expr(pl.col(name).cast(pl.String)).alias("text"),
            )
            for name in _FIELDS
        ]
    )


def translate_messages(
    raw_messages: pl.DataFrame,
    *,
    translator: Translator,
    engine: TranslationEngine | None,
    cache: TranslationCache | None,
    target: str,
    asset: str = "translated_messages",
    partition: str | None = None,
    detection: DetectionSettings | None = None,
    now: datetime | None = None,
) -> TranslationRun:
    """Detect and translate `raw_messages` rows (RAW_MESSAGES_SCHEMA columns) of one or more
    days, sharing one engine (so one budget) across them.

    `engine` and `cache` may be None only for the `none` translator. Error rows carry
    `partition` if given, else the UTC day (`YYYY-MM-DD`) of the message's `created_at`, so a
    multi-day run can record each day's errors under its own partition.
    """
    target = target.strip()
    target_base = target.split("-")[0].lower()
    backend = translator.backend_id
    configured = translator.configured
    if configured and (engine is None or cache is None):
        raise ValueError("a configured translator needs an engine and a cache")

    messages = raw_messages.select("id", "conversation_id", "created_at", *_FIELDS)
    n = messages.height
    fields = _field_frame(messages)
    fields = pl.concat([fields, detect_languages(fields["text"], detection)], how="horizontal")

    has_text = pl.col("text").fill_null("").str.strip_chars() != ""
    decided = fields.with_columns(
        status=pl.when(~has_text)
        .then(pl.lit(SKIPPED))
        .when(pl.col("language") == UNKNOWN)
        .then(pl.lit(SKIPPED))
        .when(pl.col("language") == target_base)
        .then(pl.lit(SAME_LANGUAGE))
        .when(pl.lit(not configured))
        .then(pl.lit(NOT_CONFIGURED))
        .otherwise(pl.lit(None, dtype=pl.String)),
        reason=pl.when(~has_text)
        .then(pl.lit(REASON_EMPTY))
        .when(pl.col("language") == UNKNOWN)
        .then(pl.lit(REASON_UNKNOWN))
        .when(pl.col("language") == target_base)
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.lit(not configured))
        .then(pl.lit(REASON_NOT_CONFIGURED))
        .otherwise(pl.lit(None, dtype=pl.String)),
    )

    stats: dict[str, Any] = {
        "unique_texts_to_translate": 0,
        "cache_hits": 0,
        "requests": 0,
        "retries": 0,
        "characters_sent": 0,
    }
    pending = decided.filter(pl.col("status").is_null()).select("text", "language").unique()
    if pending.height:
        assert engine is not None and cache is not None
        pending = _with_keys(pending, target, backend)
        stats["unique_texts_to_translate"] = pending.height
        found = cache.get_many(pending["key"].to_list())
        hits = pl.DataFrame(
            {
                "key": list(found.keys()),
                "translated": [str(doc["translated"]) for doc in found.values()],
            },
            schema={"key": pl.String(), "translated": pl.String()},
        ).with_columns(t_status=pl.lit(CACHED), t_reason=pl.lit(None, dtype=pl.String))
        stats["cache_hits"] = hits.height
        misses = pending.join(hits.select("key"), on="key", how="anti")
        sent = engine.translate(misses.rename({"language": "source"}))
        stats.update(
            requests=engine.stats.requests,
            retries=engine.stats.retries,
            characters_sent=engine.stats.characters_sent,
        )
        done = sent.filter(pl.col("status") == TRANSLATED).join(misses, on="key")
        if done.height:
            created = now or datetime.now(UTC)
            cache.put_many(
                done.select(
                    pl.col("key").alias("_id"),
                    pl.col("text").alias("original"),
                    "translated",
                    pl.col("language").alias("source_language"),
                    pl.lit(target).alias("target_language"),
                    pl.lit(backend).alias("backend"),
                    pl.lit(created, dtype=UTC_TS).alias("created_at"),
                ).to_dicts()
            )
        outcome = pl.concat(
            [
                hits,
                sent.rename({"status": "t_status", "reason": "t_reason"}).select(
                    "key", "translated", "t_status", "t_reason"
                ),
            ]
        )
        resolved = pending.join(outcome, on="key", how="left").drop("key")
        decided = decided.join(
            resolved, on=["text", "language"], how="left", nulls_equal=False, maintain_order="left"
        ).with_columns(
            status=pl.coalesce("status", "t_status"),
            reason=pl.coalesce("reason", "t_reason"),
        )
    else:
        decided = decided.with_columns(translated=pl.lit(None, dtype=pl.String))

    text_counts = decided.group_by("status").len().sort("status")
    stats["texts_by_status"] = dict(zip(text_counts["status"], text_counts["len"], strict=True))

    query = decided.slice(0, n)
    answer = decided.slice(n, n)
    q_rank = query["status"].replace_strict(_RANK, return_dtype=pl.Int8)
    a_rank = answer["status"].replace_strict(_RANK, return_dtype=pl.Int8)
    q_reason = pl.when(pl.col("q_reason").is_not_null()).then("query: " + pl.col("q_reason"))
    a_reason = pl.when(pl.col("a_reason").is_not_null()).then("answer: " + pl.col("a_reason"))
    out = (
        messages.select(
            pl.col("id").alias("message_id"),
            "conversation_id",
            "created_at",
            **message_language(query, answer).to_dict(),
            query_translated=query["translated"],
            answer_translated=answer["translated"],
            translation_status=pl.when(q_rank >= a_rank)
            .then(query["status"])
            .otherwise(answer["status"]),
            q_reason=query["reason"],
            a_reason=answer["reason"],
        )
        .with_columns(
            target_language=pl.lit(target),
            translation_reason=pl.concat_str(
                [q_reason, a_reason], separator="; ", ignore_nulls=True
            ),
            backend=pl.lit(backend),
        )
        .with_columns(
            translation_reason=pl.when(pl.col("translation_reason") != "").then(
                "translation_reason"
            )
        )
    )
    out = conform(out, TRANSLATED_MESSAGES_SCHEMA)

    errors = conform(
        out.filter(pl.col("translation_status").is_in([FAILED, BUDGET_EXHAUSTED])).select(
            pl.lit(asset).alias("asset"),
            (
                pl.lit(partition)
                if partition is not None
                else pl.col("created_at").dt.strftime("%Y-%m-%d")
            ).alias("partition"),
            pl.lit("translation").alias("stage"),
            pl.lit("message").alias("record_type"),
            pl.col("message_id").alias("record_id"),
            "conversation_id",
            "message_id",
            pl.when(pl.col("translation_status") == FAILED)
            .then(pl.lit("translation_failed"))
            .otherwise(pl.lit("translation_budget_exhausted"))
            .alias("reason"),
            mask_pii_expr(pl.col("translation_reason").str.slice(0, _DETAIL_CHARS)).alias("detail"),
        ),
        PROCESSING_ERRORS_SCHEMA,
    )

    by_language = out.group_by("language").len().sort("len", descending=True)
    by_status = out.group_by("translation_status").len()
    stats.update(
        messages=n,
        by_language=dict(zip(by_language["language"], by_language["len"], strict=True)),
        by_status={s: 0 for s in STATUSES}
        | dict(zip(by_status["translation_status"], by_status["len"], strict=True)),
        backend=backend,
        target_language=target,
    )
    return TranslationRun(messages=out, errors=errors, stats=stats)
