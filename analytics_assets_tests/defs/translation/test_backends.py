"""Contract tests: each backend against a local server that speaks that API's format.

These check the request each backend puts on the wire (path, auth, parameters) and how each
kind of answer maps to the engine's error classes. Retrying and batching are in test_engine.
"""

from __future__ import annotations

import pytest
import requests

from analytics_assets.defs.translation.backends.base import (
    BatchLimits,
    FatalTranslationError,
    QuotaExceededError,
    RetryableTranslationError,
    TranslationError,
)
from analytics_assets.defs.translation.backends.deepl import DeepLTranslator, deepl_target
from analytics_assets.defs.translation.backends.libretranslate import LibreTranslateTranslator
from analytics_assets.defs.translation.backends.openai_compat import OpenAICompatTranslator
from analytics_assets.http_retry import parse_retry_after
from analytics_assets_tests.fixtures.translation_servers import (
    DeepLServer,
    Fault,
    LibreTranslateServer,
    OpenAIServer,
)

THAI = ["สวัสดีครับ", "ขอบคุณมากครับ"]


# -- LibreTranslate ------------------------------------------------------------------------------


def test_libretranslate_sends_a_list_and_reads_the_list(
    libretranslate_server: LibreTranslateServer,
) -> None:
    translator = LibreTranslateTranslator(libretranslate_server.url)
    assert translator.translate_batch(THAI, "th", "en") == [f"[en] {t}" for t in THAI]
    (request,) = libretranslate_server.requests
    assert request.path == "/translate"
    assert request.body == {"q": THAI, "source": "th", "target": "en", "format": "text"}
    assert "api_key" not in request.body


def test_libretranslate_single_text_string_reply_and_api_key() -> None:
    server = LibreTranslateServer(api_key="secret").start()
    try:
        good = LibreTranslateTranslator(server.url, api_key="secret")
        assert good.translate_batch(["Hola"], "es", "en") == ["[en] Hola"]
        assert server.requests[-1].body["api_key"] == "secret"
        with pytest.raises(FatalTranslationError, match="403: Invalid API key"):
            LibreTranslateTranslator(server.url, api_key="wrong").translate_batch(
                ["Hola"], "es", "en"
            )
        with pytest.raises(FatalTranslationError, match="403"):
            LibreTranslateTranslator(server.url).translate_batch(["Hola"], "es", "en")
    finally:
        server.stop()


def test_libretranslate_limits_and_bad_language_are_batch_errors() -> None:
    server = LibreTranslateServer(batch_limit=2, char_limit=20).start()
    try:
        translator = LibreTranslateTranslator(server.url)
        with pytest.raises(TranslationError, match="exceeds text limit") as too_many:
            translator.translate_batch(["a", "b", "c"], "en", "de")
        assert not isinstance(too_many.value, RetryableTranslationError)
        assert too_many.value.status == 400
        with pytest.raises(TranslationError, match="exceeds character limit"):
            translator.translate_batch(["x" * 30], "en", "de")
        with pytest.raises(TranslationError, match="xx is not supported"):
            translator.translate_batch(["hello"], "xx", "de")
    finally:
        server.stop()


def test_libretranslate_faults_map_to_retryable_errors(
    libretranslate_server: LibreTranslateServer,
) -> None:
    translator = LibreTranslateTranslator(libretranslate_server.url, timeout_s=0.3)
    libretranslate_server.fail_next(
        Fault(429, {"error": "Too many request limits violations"}, {"Retry-After": "7"})
    )
    with pytest.raises(RetryableTranslationError) as rate:
        translator.translate_batch(THAI, "th", "en")
    assert rate.value.status == 429 and rate.value.retry_after == 7.0
    libretranslate_server.fail_next(Fault(500, {"error": "Internal Server Error"}))
    with pytest.raises(RetryableTranslationError, match="500"):
        translator.translate_batch(THAI, "th", "en")
    libretranslate_server.fail_next(Fault(malformed=True))
    with pytest.raises(RetryableTranslationError, match="not valid JSON"):
        translator.translate_batch(THAI, "th", "en")
    libretranslate_server.fail_next(Fault(delay_s=1.0))
    with pytest.raises(RetryableTranslationError, match="no reply within"):
        translator.translate_batch(THAI, "th", "en")
    # and the server still works afterwards
    assert translator.translate_batch(THAI, "th", "en")[0] == f"[en] {THAI[0]}"


def test_libretranslate_wrong_length_reply_is_retryable(
    libretranslate_server: LibreTranslateServer,
) -> None:
    libretranslate_server.fail_next(Fault(200, {"translatedText": ["only one"]}))
    with pytest.raises(RetryableTranslationError, match="batch's length"):
        LibreTranslateTranslator(libretranslate_server.url).translate_batch(THAI, "th", "en")


def test_unreachable_server_is_retryable() -> None:
    with pytest.raises(RetryableTranslationError, match="connection failed"):
        LibreTranslateTranslator("http://127.0.0.1:9", timeout_s=1).translate_batch(
            ["hi there"], "en", "de"
        )


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


# -- DeepL ----------------------------------------------------------------------------------------


def test_deepl_official_client_request_format(deepl_server: DeepLServer) -> None:
    translator = DeepLTranslator(deepl_server.auth_key, url=deepl_server.url)
    assert translator.translate_batch(THAI, "th", "en") == [f"[EN-US] {t}" for t in THAI]
    (request,) = deepl_server.requests
    assert request.path == "/v2/translate"
    assert request.headers["Authorization"] == f"DeepL-Auth-Key {deepl_server.auth_key}"
    assert request.body["text"] == THAI
    assert request.body["target_lang"] == "EN-US"
    assert request.body["source_lang"] == "TH"
    translator.close()


def test_deepl_language_codes(deepl_server: DeepLServer) -> None:
    assert deepl_target("en") == "EN-US"
    assert deepl_target("en-gb") == "EN-GB"
    assert deepl_target("de") == "DE"
    translator = DeepLTranslator(deepl_server.auth_key, url=deepl_server.url)
    translator.translate_batch(["Xin chào bạn"], "hi", "de")
    # a source DeepL does not know is left out: DeepL detects it instead of refusing
    assert "source_lang" not in deepl_server.requests[-1].body


def test_deepl_errors(deepl_server: DeepLServer) -> None:
    translator = DeepLTranslator(deepl_server.auth_key, url=deepl_server.url, timeout_s=0.5)
    deepl_server.fail_next(Fault(456, {"message": "Quota Exceeded"}))
    with pytest.raises(QuotaExceededError):
        translator.translate_batch(THAI, "th", "en")
    deepl_server.fail_next(Fault(429, {"message": "Too many requests"}, {"Retry-After": "1"}))
    with pytest.raises(RetryableTranslationError):
        translator.translate_batch(THAI, "th", "en")
    deepl_server.fail_next(Fault(503, {"message": "Service unavailable"}))
    with pytest.raises(RetryableTranslationError):
        translator.translate_batch(THAI, "th", "en")
    deepl_server.fail_next(Fault(500, {"message": "Internal error"}))
    with pytest.raises(RetryableTranslationError):
        translator.translate_batch(THAI, "th", "en")
    deepl_server.fail_next(Fault(malformed=True))
    with pytest.raises(RetryableTranslationError):
        translator.translate_batch(THAI, "th", "en")
    deepl_server.fail_next(Fault(delay_s=1.5))
    with pytest.raises(RetryableTranslationError):
        translator.translate_batch(THAI, "th", "en")
    with pytest.raises(FatalTranslationError):
        DeepLTranslator("wrong-key", url=deepl_server.url).translate_batch(THAI, "th", "en")
    # the client's own retry loop is off: each failure above was exactly one request
    assert len(deepl_server.requests) == 7


def test_deepl_batch_limit(deepl_server: DeepLServer) -> None:
    with pytest.raises(ValueError, match="50"):
        DeepLTranslator("k", url=deepl_server.url, limits=BatchLimits(51, 1000))
    translator = DeepLTranslator(deepl_server.auth_key, url=deepl_server.url)
    with pytest.raises(TranslationError, match="413"):
        translator.translate_batch([f"text {i}" for i in range(51)], "en", "de")


# -- OpenAI-compatible ---------------------------------------------------------------------------


def test_openai_request_and_reply(openai_server: OpenAIServer) -> None:
    translator = OpenAICompatTranslator(
        openai_server.url + "/v1", model="qwen2.5:7b", api_key="sk-test"
    )
    assert translator.backend_id == "openai:qwen2.5:7b"
    assert translator.translate_batch(THAI, "th", "en") == [f"[English] {t}" for t in THAI]
    (request,) = openai_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert request.body["model"] == "qwen2.5:7b"
    assert request.body["temperature"] == 0
    system, user = request.body["messages"]
    assert "Thai" in system["content"] and "English" in system["content"]
    assert user["role"] == "user" and request.texts == THAI


@pytest.mark.parametrize("mode", ["fenced", "bare"])
def test_openai_tolerates_fences_and_bare_single_answers(mode: str) -> None:
    server = OpenAIServer(mode=mode).start()
    try:
        translator = OpenAICompatTranslator(server.url + "/v1", model="m", api_key="sk-test")
        assert translator.translate_batch(["Hallo Welt"], "de", "en") == ["[English] Hallo Welt"]
    finally:
        server.stop()


def test_openai_wrong_count_is_a_batch_error() -> None:
    server = OpenAIServer(mode="wrong_count").start()
    try:
        translator = OpenAICompatTranslator(server.url + "/v1", model="m", api_key="sk-test")
        with pytest.raises(TranslationError, match="JSON array of 2") as err:
            translator.translate_batch(["Hallo", "Welt"], "de", "en")
        assert not isinstance(err.value, RetryableTranslationError)
    finally:
        server.stop()


def test_openai_errors(openai_server: OpenAIServer) -> None:
    translator = OpenAICompatTranslator(
        openai_server.url + "/v1", model="m", api_key="sk-test", timeout_s=0.5
    )
    openai_server.fail_next(
        Fault(
            429,
            {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit"}},
            {"Retry-After": "2"},
        )
    )
    with pytest.raises(RetryableTranslationError, match="Rate limit reached") as rate:
        translator.translate_batch(THAI, "th", "en")
    assert rate.value.retry_after == 2.0
    openai_server.fail_next(
        Fault(
            429,
            {
                "error": {
                    "message": "You exceeded your current quota",
                    "type": "insufficient_quota",
                    "code": "insufficient_quota",
                }
            },
        )
    )
    with pytest.raises(QuotaExceededError):
        translator.translate_batch(THAI, "th", "en")
    openai_server.fail_next(Fault(502, "<html>Bad Gateway</html>"))
    with pytest.raises(RetryableTranslationError, match="502"):
        translator.translate_batch(THAI, "th", "en")
    openai_server.fail_next(Fault(200, {"choices": []}))
    with pytest.raises(RetryableTranslationError, match="choices"):
        translator.translate_batch(THAI, "th", "en")
    with pytest.raises(FatalTranslationError, match="401"):
        OpenAICompatTranslator(openai_server.url + "/v1", model="m", api_key="bad").translate_batch(
            THAI, "th", "en"
        )
    with pytest.raises(FatalTranslationError, match="404"):
        OpenAICompatTranslator(openai_server.url, model="m", api_key="sk-test").translate_batch(
            THAI, "th", "en"
        )


def test_stand_in_rejects_what_the_real_api_rejects(
    libretranslate_server: LibreTranslateServer,
) -> None:
    # The stand-in is only worth something if it refuses malformed requests like the real one.
    reply = requests.post(libretranslate_server.url + "/translate", json={"q": "hi"}, timeout=5)
    assert reply.status_code == 400
    assert reply.json() == {"error": "Invalid request: missing source parameter"}
    form = requests.post(
        libretranslate_server.url + "/translate",
        data={"q": "Hola", "source": "es", "target": "en"},
        timeout=5,
    )
    assert form.json() == {"translatedText": "[en] Hola"}
