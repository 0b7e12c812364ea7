"""DeepL API backend through the official `deepl` client (`POST /v2/translate`).

The client sends `{"text": [...], "target_lang": "EN-US", "source_lang": "TH", ...}` as JSON
with `Authorization: DeepL-Auth-Key <key>`, and answers `translations[i].text`. DeepL accepts
at most 50 texts per request and a 128 KiB body. The client has its own retry loop; it is
turned off (`deepl.http_client.max_network_retries = 0`, a module setting of the client) so
that retries, backoff and the budget are the engine's, the same for every backend.
"""

from __future__ import annotations

import threading

import deepl
import deepl.http_client

from analytics_assets.defs.translation.backends.base import (
    BatchLimits,
    FatalTranslationError,
    QuotaExceededError,
    RetryableTranslationError,
    TranslationError,
    Translator,
)

# 20k characters stay under the 128 KiB body even for non-Latin text, which the client sends
# JSON-escaped (`\uXXXX`, 6 bytes a character).
DEFAULT_LIMITS = BatchLimits(max_items=50, max_chars=20_000)

# Source languages DeepL's /v2/translate accepts. Texts in other languages are sent without
# `source_lang` (DeepL then detects the language itself) instead of being refused.
SOURCE_LANGUAGES = frozenset(
    "ar bg cs da de el en es et fi fr he hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv th tr "
    "uk vi zh".split()
)
# DeepL refuses the bare codes EN and PT as targets; these are the variants used for them.
_TARGET_VARIANTS = {"en": "EN-US", "pt": "PT-BR", "zh": "ZH-HANS"}


def deepl_target(target: str) -> str:
    """DeepL's target code for an ISO code (`en` -> `EN-US`; `en-GB` stays `EN-GB`)."""
    if "-" in target:
        return target.upper()
    return _TARGET_VARIANTS.get(target.lower(), target.upper())


class DeepLTranslator(Translator):
    """Translates through DeepL (`TRANSLATOR_URL` overrides the server, e.g. for a proxy)."""

    name = "deepl"

    def __init__(
        self,
        api_key: str,
        url: str | None = None,
        timeout_s: float = 30.0,
        limits: BatchLimits = DEFAULT_LIMITS,
    ) -> None:
        if not api_key:
            raise ValueError("TRANSLATOR_API_KEY is required for TRANSLATOR=deepl")
        if limits.max_items > 50:
            raise ValueError("DeepL accepts at most 50 texts per request")
        self._api_key = api_key
        self._url = url.rstrip("/") + "/" if url else None
        self._limits = limits
        self._local = threading.local()
        self._clients: list[deepl.DeepLClient] = []
        self._lock = threading.Lock()
        # Module settings of the client library: our engine retries, and our timeout applies.
        deepl.http_client.max_network_retries = 0
        deepl.http_client.min_connection_timeout = timeout_s

    @property
    def limits(self) -> BatchLimits:
        return self._limits

    def _client(self) -> deepl.DeepLClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = deepl.DeepLClient(
                self._api_key, server_url=self._url, send_platform_info=False
            )
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        source_lang = source.upper() if source.lower() in SOURCE_LANGUAGES else None
        try:
            results = self._client().translate_text(
                texts, source_lang=source_lang, target_lang=deepl_target(target)
            )
        except deepl.QuotaExceededException as exc:
            raise QuotaExceededError(f"DeepL: {exc}", exc.http_status_code) from exc
        except deepl.AuthorizationException as exc:
            raise FatalTranslationError(f"DeepL: {exc}", exc.http_status_code) from exc
        except deepl.TooManyRequestsException as exc:
            raise RetryableTranslationError(f"DeepL: {exc}", exc.http_status_code) from exc
        except deepl.ConnectionException as exc:
            raise RetryableTranslationError(f"DeepL: {exc}") from exc
        except deepl.DeepLException as exc:
            status = exc.http_status_code
            if exc.should_retry or (status is not None and status >= 500):
                raise RetryableTranslationError(f"DeepL: {exc}", status) from exc
            if status == 404:
                raise FatalTranslationError(f"DeepL: {exc}", status) from exc
            raise TranslationError(f"DeepL: {exc}", status) from exc
        except (TypeError, ValueError) as exc:  # a 200 whose body is not what DeepL sends
            raise RetryableTranslationError(f"DeepL: malformed reply ({exc})") from exc
        if not isinstance(results, list) or len(results) != len(texts):
            raise RetryableTranslationError("DeepL: reply does not hold one translation per text")
        return [result.text for result in results]

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()
