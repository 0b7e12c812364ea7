"""LibreTranslate (and compatible) backend: `POST {url}/translate` with a list of texts.

LibreTranslate takes `q` as a string or a list and answers `translatedText` in the same shape;
a list lets one request carry a whole batch. Self-hosted servers set `--batch-limit` and
`--char-limit` and answer 400 when a request exceeds them, so our limits are configurable and
default below the common settings.
"""

from __future__ import annotations

from analytics_assets.defs.translation.backends.base import (
    BatchLimits,
    RetryableTranslationError,
    Translator,
)
from analytics_assets.defs.translation.backends.http import JsonHttpClient

DEFAULT_LIMITS = BatchLimits(max_items=50, max_chars=5000)


class LibreTranslateTranslator(Translator):
    """Talks to a LibreTranslate-compatible `/translate` endpoint."""

    name = "libretranslate"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        limits: BatchLimits = DEFAULT_LIMITS,
    ) -> None:
        if not url:
            raise ValueError("TRANSLATOR_URL is required for TRANSLATOR=libretranslate")
        self._endpoint = url.rstrip("/") + "/translate"
        self._api_key = api_key or None
        self._limits = limits
        self._http = JsonHttpClient("LibreTranslate", timeout_s)

    @property
    def limits(self) -> BatchLimits:
        return self._limits

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        payload: dict[str, object] = {
            "q": texts,
            "source": source,
            "target": target,
            "format": "text",
        }
        if self._api_key:
            payload["api_key"] = self._api_key
        body = self._http.post_json(self._endpoint, payload, {"Accept": "application/json"})
        translated = body.get("translatedText") if isinstance(body, dict) else None
        if isinstance(translated, str) and len(texts) == 1:
            translated = [translated]
        if not isinstance(translated, list) or len(translated) != len(texts):
            raise RetryableTranslationError(
                "LibreTranslate: reply has no translatedText list of the batch's length"
            )
        if not all(isinstance(t, str) for t in translated):
            raise RetryableTranslationError("LibreTranslate: translatedText holds non-strings")
        return translated

    def close(self) -> None:
        self._http.close()
