"""raw_messages -> translated_messages as a pure function, against a local LibreTranslate.

The cache here is a plain dict behind the same two methods as the MongoDB repository; the
asset tests (analytics_assets_tests/defs/translation/test_assets.py) use the real MongoDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from analytics_assets.defs.translation.backends.base import BatchLimits, NoneTranslator
from analytics_assets.defs.translation.backends.libretranslate import LibreTranslateTranslator
from analytics_assets.defs.translation.engine import Budget, RetryPolicy, TranslationEngine
from analytics_assets.defs.translation.pipeline import (
    TRANSLATED_MESSAGES_SCHEMA,
    cache_key,
    translate_messages,
)
from analytics_assets.schemas import PROCESSING_ERRORS_SCHEMA, RAW_MESSAGES_SCHEMA, conform
from analytics_assets_tests.fixtures.translation_servers import Fault, LibreTranslateServer

ROWS = [
    # id, query, answer
    ("m1", "สวัสดีครับ ผมต้องการเปิดบัญชีออมทรัพย์", "ยินดีให้บริการค่ะ กรุณาแจ้งชื่อของท่าน"),
    ("m2", "How do I reset my password?", "Click on 'Forgot password' on the login page."),
    ("m3", "Wie kann ich mein Passwort zurücksetzen?", "Klicken Sie auf 'Passwort vergessen'."),
    ("m4", "12345", "Bitte geben Sie Ihre Kundennummer ein."),
    ("m5", None, "Hello! How can I help you today?"),
    ("m6", "😀👍", ""),
    ("m7", "สวัสดีครับ ผมต้องการเปิดบัญชีออมทรัพย์", "How can I help you with your account?"),
]


class DictCache:
    """The TranslationCache protocol over a dict (what MongoDB does, minus the server)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.lookups = 0

    def get_many(self, keys: list[str]) -> Mapping[str, Mapping[str, Any]]:
        self.lookups += 1
        return {k: self.docs[k] for k in keys if k in self.docs}

    def put_many(self, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            self.docs[doc["_id"]] = doc


def raw(rows: list[tuple[str, str | None, str | None]] = ROWS) -> pl.DataFrame:
    created = datetime(2025, 3, 1, 12, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "id": [r[0] for r in rows],
            "conversation_id": [f"c-{r[0]}" for r in rows],
            "query": [r[1] for r in rows],
            "answer": [r[2] for r in rows],
            "created_at": [created] * len(rows),
        },
        schema_overrides={"query": pl.String, "answer": pl.String},
    )
    return conform(frame, RAW_MESSAGES_SCHEMA)


def run(translator, cache=None, budget=None, target="en"):  # type: ignore[no-untyped-def]
    engine = (
        TranslationEngine(
            translator,
            target,
            budget=budget,
            retry=RetryPolicy(max_attempts=2, base_delay_s=0.001),
        )
        if translator.configured
        else None
    )
    return translate_messages(
        raw(), translator=translator, engine=engine, cache=cache, target=target
    )


def rows_by_id(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {r["message_id"]: r for r in frame.to_dicts()}


def test_none_translator_detects_and_marks_not_configured() -> None:
    result = run(NoneTranslator())
    assert result.messages.schema == TRANSLATED_MESSAGES_SCHEMA
    assert result.messages["message_id"].to_list() == [r[0] for r in ROWS]
    got = rows_by_id(result.messages)
    assert got["m1"]["language"] == "th"
    assert got["m1"]["translation_status"] == "not_configured"
    assert "TRANSLATOR=none" in got["m1"]["translation_reason"]
    assert got["m2"]["language"] == "en"
    assert got["m2"]["translation_status"] == "same_language"
    assert got["m2"]["translation_reason"] is None
    assert got["m3"]["language"] == "de"
    # numeric query: the message's language comes from the answer
    assert got["m4"]["language"] == "de"
    assert got["m5"]["language"] == "en" and got["m5"]["translation_status"] == "same_language"
    assert got["m6"]["language"] == "unknown" and got["m6"]["language_confidence"] == 0.0
    assert got["m6"]["translation_status"] == "skipped"
    assert "query: no language detected" in got["m6"]["translation_reason"]
    assert "answer: empty text" in got["m6"]["translation_reason"]
    assert set(result.messages["backend"]) == {"none"}
    assert set(result.messages["target_language"]) == {"en"}
    assert result.messages["query_translated"].null_count() == len(ROWS)
    assert result.errors.height == 0
    assert result.stats["by_language"]["th"] == 2
    assert result.stats["requests"] == 0


def test_translates_query_and_answer_and_caches(
    libretranslate_server: LibreTranslateServer,
) -> None:
    cache = DictCache()
    translator = LibreTranslateTranslator(libretranslate_server.url)
    first = run(translator, cache)
    got = rows_by_id(first.messages)
    assert got["m1"]["query_translated"] == f"[en] {ROWS[0][1]}"
    assert got["m1"]["answer_translated"] == f"[en] {ROWS[0][2]}"
    assert got["m1"]["translation_status"] == "translated"
    assert got["m2"]["translation_status"] == "same_language"
    assert got["m2"]["query_translated"] is None
    assert got["m3"]["answer_translated"].startswith("[en] Klicken")
    # m4: numeric query skipped, German answer translated
    assert got["m4"]["query_translated"] is None and got["m4"]["answer_translated"]
    # m7 repeats m1's query (sent once) and has an English answer
    assert got["m7"]["query_translated"] == got["m1"]["query_translated"]
    assert got["m7"]["answer_translated"] is None
    sent = libretranslate_server.texts_sent
    assert len(sent) == len(set(sent)) == 5  # 2 Thai + 3 German texts, each once
    assert first.stats["characters_sent"] == sum(len(t) for t in sent)
    assert len(cache.docs) == 5
    doc = cache.docs[cache_key(ROWS[0][1], "th", "en", "libretranslate")]
    assert doc["original"] == ROWS[0][1] and doc["translated"] == f"[en] {ROWS[0][1]}"
    assert doc["source_language"] == "th" and doc["target_language"] == "en"
    assert doc["backend"] == "libretranslate" and doc["created_at"].tzinfo is not None

    # A second run pays for nothing: every text comes from the cache.
    before = len(libretranslate_server.requests)
    second = run(translator, cache)
    assert len(libretranslate_server.requests) == before
    again = rows_by_id(second.messages)
    assert again["m1"]["translation_status"] == "cached"
    assert again["m1"]["query_translated"] == got["m1"]["query_translated"]
    assert second.stats["cache_hits"] == 5 and second.stats["characters_sent"] == 0


def test_cache_key_separates_backend_languages_and_text() -> None:
    base = cache_key("hola", "es", "en", "libretranslate")
    assert len(base) == 64
    assert base != cache_key("hola", "es", "en", "deepl")
    assert base != cache_key("hola", "pt", "en", "libretranslate")
    assert base != cache_key("hola", "es", "de", "libretranslate")
    assert base != cache_key("hola!", "es", "en", "libretranslate")
    assert base == cache_key("hola", "es", "en", "libretranslate")


def test_failures_become_error_rows_and_the_rest_completes(
    libretranslate_server: LibreTranslateServer,
) -> None:
    translator = LibreTranslateTranslator(
        libretranslate_server.url, limits=BatchLimits(max_items=1, max_chars=10_000)
    )
    # Two attempts of the first request fail: that one text fails, the others go through.
    libretranslate_server.fail_next(Fault(500, {"error": "Internal Server Error"}), times=2)
    engine = TranslationEngine(
        translator, "en", retry=RetryPolicy(max_attempts=2, base_delay_s=0.001), max_concurrency=1
    )
    result = translate_messages(
        raw(), translator=translator, engine=engine, cache=DictCache(), target="en"
    )
    failed = result.messages.filter(pl.col("translation_status") == "failed")
    assert failed.height >= 1
    assert result.messages.height == len(ROWS)
    assert result.errors.schema == PROCESSING_ERRORS_SCHEMA
    assert set(result.errors["message_id"]) == set(failed["message_id"])
    error = result.errors.row(0, named=True)
    assert error["stage"] == "translation" and error["reason"] == "translation_failed"
    assert error["partition"] == "2025-03-01" and error["record_type"] == "message"
    assert "HTTP 500" in error["detail"]
    translated = result.messages.filter(pl.col("translation_status") == "translated")
    assert translated.height >= 2


def test_budget_exhaustion_is_recorded_not_lost(
    libretranslate_server: LibreTranslateServer,
) -> None:
    cache = DictCache()
    translator = LibreTranslateTranslator(libretranslate_server.url)
    result = run(translator, cache, budget=Budget(max_chars=40))
    statuses = result.messages["translation_status"].to_list()
    assert "budget_exhausted" in statuses
    exhausted = result.messages.filter(pl.col("translation_status") == "budget_exhausted")
    assert set(result.errors["message_id"]) >= set(exhausted["message_id"])
    assert set(
        result.errors.filter(pl.col("reason") == "translation_budget_exhausted")["message_id"]
    ) == set(exhausted["message_id"])
    assert sum(len(t) for t in libretranslate_server.texts_sent) <= 40
    # The next run with budget finishes the job and pays only for what was left.
    first_sent = list(libretranslate_server.texts_sent)
    rerun = run(translator, cache)
    rerun_sent = libretranslate_server.texts_sent[len(first_sent) :]
    assert rerun.errors.height == 0
    assert "budget_exhausted" not in rerun.messages["translation_status"].to_list()
    assert set(rerun_sent).isdisjoint(first_sent)
    assert len(first_sent) + len(rerun_sent) == 5 == len(cache.docs)


def test_empty_partition() -> None:
    result = translate_messages(
        raw([]), translator=NoneTranslator(), engine=None, cache=None, target="en"
    )
    assert result.messages.height == 0
    assert result.messages.schema == TRANSLATED_MESSAGES_SCHEMA
    assert result.errors.height == 0


def test_configured_translator_needs_engine_and_cache(
    libretranslate_server: LibreTranslateServer,
) -> None:
    with pytest.raises(ValueError, match="engine and a cache"):
        translate_messages(
            raw(),
            translator=LibreTranslateTranslator(libretranslate_server.url),
            engine=None,
            cache=None,
            target="en",
        )
