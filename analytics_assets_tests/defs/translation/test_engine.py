"""The engine against a real (local) LibreTranslate/DeepL server: batches, budget, retries."""

from __future__ import annotations

import time

import polars as pl
import pytest

from analytics_assets.defs.translation.backends.base import BatchLimits
from analytics_assets.defs.translation.backends.deepl import DeepLTranslator
from analytics_assets.defs.translation.backends.libretranslate import LibreTranslateTranslator
from analytics_assets.defs.translation.engine import (
    BUDGET_EXHAUSTED,
    FAILED,
    TRANSLATED,
    Budget,
    RetryPolicy,
    TranslationEngine,
    batch_ranges,
)
from analytics_assets_tests.fixtures.translation_servers import (
    DeepLServer,
    Fault,
    LibreTranslateServer,
)

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.01)


def items(n: int, source: str = "de", length: int = 10) -> pl.DataFrame:
    texts = [f"{i:03d}" + "x" * (length - 3) for i in range(n)]
    return pl.DataFrame(
        {"key": [f"{source}-{i}" for i in range(n)], "text": texts, "source": [source] * n}
    )


def by_key(result: pl.DataFrame) -> dict[str, tuple[str | None, str, str | None]]:
    return {r["key"]: (r["translated"], r["status"], r["reason"]) for r in result.to_dicts()}


def test_batch_ranges_respect_items_and_chars() -> None:
    limits = BatchLimits(max_items=3, max_chars=10)
    assert batch_ranges([2, 2, 2, 2], limits) == [(0, 3), (3, 4)]
    assert batch_ranges([6, 6, 3, 20, 1], limits) == [(0, 1), (1, 3), (3, 4), (4, 5)]
    assert batch_ranges([], limits) == []


def test_batches_follow_limits_and_source_language(
    libretranslate_server: LibreTranslateServer,
) -> None:
    translator = LibreTranslateTranslator(
        libretranslate_server.url, limits=BatchLimits(max_items=3, max_chars=1000)
    )
    engine = TranslationEngine(translator, "en", retry=FAST_RETRY)
    frame = pl.concat([items(7, "de"), items(2, "fr")])
    result = engine.translate(frame)
    assert result.height == 9
    assert set(result["status"]) == {TRANSLATED}
    got = by_key(result)
    assert got["de-0"][0] == "[en] 000xxxxxxx"
    sizes = sorted(len(r.texts) for r in libretranslate_server.requests)
    assert sizes == [1, 2, 3, 3]
    assert {r.body["source"] for r in libretranslate_server.requests} == {"de", "fr"}
    assert engine.stats.requests == 4 and engine.stats.characters_sent == 90


def test_429_with_retry_after_is_waited_for_then_succeeds(
    libretranslate_server: LibreTranslateServer,
) -> None:
    libretranslate_server.fail_next(
        Fault(429, {"error": "Too many request limits violations"}, {"Retry-After": "1"})
    )
    engine = TranslationEngine(
        LibreTranslateTranslator(libretranslate_server.url), "en", retry=FAST_RETRY
    )
    result = engine.translate(items(2))
    assert set(result["status"]) == {TRANSLATED}
    first, second = libretranslate_server.requests
    assert second.at - first.at >= 0.95  # Retry-After honoured, not the 1 ms backoff
    assert engine.stats.retries == 1 and engine.stats.requests == 2


def test_retry_delays_use_backoff_and_retry_after(
    libretranslate_server: LibreTranslateServer,
) -> None:
    waits: list[float] = []
    libretranslate_server.fail_next(Fault(500, {"error": "boom"}))
    libretranslate_server.fail_next(Fault(503, {"error": "busy"}, {"Retry-After": "4"}))
    engine = TranslationEngine(
        LibreTranslateTranslator(libretranslate_server.url),
        "en",
        retry=RetryPolicy(max_attempts=3, base_delay_s=2.0, max_delay_s=60),
        sleep=waits.append,
    )
    assert set(engine.translate(items(1))["status"]) == {TRANSLATED}
    assert 1.0 <= waits[0] <= 2.0  # base * 2**0 with jitter in [0.5, 1]
    assert waits[1] == 4.0


def test_persistent_5xx_fails_after_max_attempts_and_keeps_going(
    libretranslate_server: LibreTranslateServer,
) -> None:
    translator = LibreTranslateTranslator(
        libretranslate_server.url, limits=BatchLimits(max_items=2, max_chars=1000)
    )
    libretranslate_server.fail_next(Fault(500, {"error": "Internal Server Error"}), times=3)
    engine = TranslationEngine(translator, "en", retry=FAST_RETRY, max_concurrency=1)
    got = by_key(engine.translate(items(4)))
    failed = [k for k, v in got.items() if v[1] == FAILED]
    assert failed == ["de-0", "de-1"]  # the first batch used up the three faults
    assert "gave up after 3 attempts" in got["de-0"][2]
    assert got["de-2"][1] == got["de-3"][1] == TRANSLATED
    assert len(libretranslate_server.requests) == 4


def test_timeouts_and_malformed_json_are_retried(
    libretranslate_server: LibreTranslateServer,
) -> None:
    libretranslate_server.fail_next(Fault(delay_s=0.6))
    libretranslate_server.fail_next(Fault(malformed=True))
    engine = TranslationEngine(
        LibreTranslateTranslator(libretranslate_server.url, timeout_s=0.3), "en", retry=FAST_RETRY
    )
    assert set(engine.translate(items(3))["status"]) == {TRANSLATED}
    assert engine.stats.requests == 3 and engine.stats.retries == 2


def test_a_rejected_text_is_isolated_by_splitting_the_batch() -> None:
    server = LibreTranslateServer(char_limit=50).start()
    try:
        frame = items(6)
        frame = frame.with_columns(
            text=pl.when(pl.col("key") == "de-4").then(pl.lit("y" * 80)).otherwise("text")
        )
        translator = LibreTranslateTranslator(
            server.url, limits=BatchLimits(max_items=10, max_chars=10_000)
        )
        got = by_key(TranslationEngine(translator, "en", retry=FAST_RETRY).translate(frame))
        assert got["de-4"][1] == FAILED and "exceeds character limit" in got["de-4"][2]
        assert all(v[1] == TRANSLATED for k, v in got.items() if k != "de-4")
    finally:
        server.stop()


def test_character_budget_leaves_the_rest_budget_exhausted(
    libretranslate_server: LibreTranslateServer,
) -> None:
    translator = LibreTranslateTranslator(
        libretranslate_server.url, limits=BatchLimits(max_items=4, max_chars=1000)
    )
    engine = TranslationEngine(translator, "en", budget=Budget(max_chars=55), retry=FAST_RETRY)
    got = by_key(engine.translate(items(10)))
    statuses = [got[f"de-{i}"][1] for i in range(10)]
    assert statuses == [TRANSLATED] * 5 + [BUDGET_EXHAUSTED] * 5
    assert "55 characters" in got["de-9"][2]
    assert sum(len(t) for t in libretranslate_server.texts_sent) == 50 <= 55
    assert engine.stats.characters_sent == 50


def test_request_budget(libretranslate_server: LibreTranslateServer) -> None:
    translator = LibreTranslateTranslator(
        libretranslate_server.url, limits=BatchLimits(max_items=2, max_chars=1000)
    )
    engine = TranslationEngine(translator, "en", budget=Budget(max_requests=2))
    result = engine.translate(items(7))
    assert result.filter(pl.col("status") == TRANSLATED).height == 4
    assert result.filter(pl.col("status") == BUDGET_EXHAUSTED).height == 3
    assert len(libretranslate_server.requests) == 2


def test_quota_exceeded_stops_sending(deepl_server: DeepLServer) -> None:
    deepl_server.fail_next(Fault(456, {"message": "Quota Exceeded"}))
    translator = DeepLTranslator(
        deepl_server.auth_key, url=deepl_server.url, limits=BatchLimits(2, 1000)
    )
    engine = TranslationEngine(translator, "en", retry=FAST_RETRY, max_concurrency=1)
    result = engine.translate(items(6))
    assert set(result["status"]) == {BUDGET_EXHAUSTED}
    assert all("quota" in r.lower() for r in result["reason"])
    assert len(deepl_server.requests) == 1  # nothing sent after the 456


def test_bad_api_key_fails_everything_without_hammering() -> None:
    server = LibreTranslateServer(api_key="right").start()
    try:
        translator = LibreTranslateTranslator(
            server.url, api_key="wrong", limits=BatchLimits(1, 1000)
        )
        engine = TranslationEngine(translator, "en", retry=FAST_RETRY, max_concurrency=1)
        result = engine.translate(items(5))
        assert set(result["status"]) == {FAILED}
        assert all("Invalid API key" in r for r in result["reason"])
        assert len(server.requests) == 1
    finally:
        server.stop()


def test_concurrency_is_bounded(libretranslate_server: LibreTranslateServer) -> None:
    libretranslate_server.latency_s = 0.05
    translator = LibreTranslateTranslator(libretranslate_server.url, limits=BatchLimits(1, 1000))
    start = time.perf_counter()
    TranslationEngine(translator, "en", max_concurrency=3).translate(items(12))
    assert len(libretranslate_server.requests) == 12
    assert libretranslate_server.max_in_flight == 3
    assert time.perf_counter() - start < 12 * 0.05  # really overlapped


def test_engine_refuses_duplicate_keys(libretranslate_server: LibreTranslateServer) -> None:
    engine = TranslationEngine(LibreTranslateTranslator(libretranslate_server.url), "en")
    with pytest.raises(ValueError, match="unique"):
        engine.translate(pl.concat([items(2), items(2)]))


def test_a_retry_after_beyond_the_cap_fails_the_batch_at_once(
    libretranslate_server: LibreTranslateServer,
) -> None:
    libretranslate_server.fail_next(Fault(429, {"error": "slow down"}, {"Retry-After": "3600"}))
    waits: list[float] = []
    engine = TranslationEngine(
        LibreTranslateTranslator(libretranslate_server.url), "en", sleep=waits.append
    )
    result = engine.translate(items(1))
    assert result["status"].to_list() == [FAILED]
    assert "Retry-After too long" in result["reason"][0]
    assert waits == [] and len(libretranslate_server.requests) == 1
