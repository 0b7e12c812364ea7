"""OpenAI-compatible chat-completions backend (OpenAI, vLLM, Ollama, llama.cpp, LiteLLM, ...).

A batch goes out as one request: the user message is a JSON array of texts and the system
message asks for a JSON array of translations in the same order. A model that answers with a
different number of items, or not with JSON, makes the batch fail as sent; the engine then
splits it down to single texts, where a bare (non-JSON) reply is accepted as the translation.
Temperature 0 keeps translations stable, which is what makes caching them honest.
"""

from __future__ import annotations

import json
from functools import lru_cache

from lingua import IsoCode639_1, Language

from analytics_assets.defs.translation.backends.base import (
    BatchLimits,
    RetryableTranslationError,
    TranslationError,
    Translator,
)
from analytics_assets.defs.translation.backends.http import JsonHttpClient

DEFAULT_LIMITS = BatchLimits(max_items=20, max_chars=6000)

SYSTEM_PROMPT = (
    "You are a translation engine. The user message is a JSON array of {n} texts written in "
    "{source}. Translate each text into {target}. Keep the meaning, tone, numbers, names and "
    "line breaks. Reply with only a JSON array of exactly {n} strings, the translations in the "
    "same order, and nothing else."
)


@lru_cache(maxsize=128)
def language_name(code: str) -> str:
    """English name of an ISO 639-1 code (`th` -> `Thai`), the code itself when unknown."""
    base = code.split("-")[0].lower()
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(base)).name.title()
    except ValueError:
        return code


def _strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        if text.rstrip().endswith("```"):
            text = text.rstrip()[:-3]
    return text.strip()


class OpenAICompatTranslator(Translator):
    """Translates through `POST {url}/chat/completions` (url is the API base, e.g. .../v1)."""

    name = "openai"

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        limits: BatchLimits = DEFAULT_LIMITS,
    ) -> None:
        if not url:
            raise ValueError("TRANSLATOR_URL is required for TRANSLATOR=openai")
        if not model:
            raise ValueError("TRANSLATOR_MODEL is required for TRANSLATOR=openai")
        self._endpoint = url.rstrip("/") + "/chat/completions"
        self._model = model
        self._api_key = api_key or None
        self._limits = limits
        self._http = JsonHttpClient("OpenAI-compatible API", timeout_s)

    @property
    def backend_id(self) -> str:
        return f"{self.name}:{self._model}"

    @property
    def limits(self) -> BatchLimits:
        return self._limits

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        system = SYSTEM_PROMPT.format(
            n=len(texts), source=language_name(source), target=language_name(target)
        )
        payload = {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": json.dumps(texts, ensure_ascii=False)},
            ],
        }
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        body = self._http.post_json(self._endpoint, payload, headers)
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise RetryableTranslationError(
                "OpenAI-compatible API: reply has no choices[0].message.content"
            ) from exc
        if not isinstance(content, str):
            raise RetryableTranslationError("OpenAI-compatible API: message content is not text")
        return self._parse(content, len(texts))

    @staticmethod
    def _parse(content: str, expected: int) -> list[str]:
        text = _strip_fences(content)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and len(parsed) == expected:
            if all(isinstance(item, str) for item in parsed):
                return parsed
        if expected == 1 and text and not isinstance(parsed, list):
            return [text]  # a bare translation for a single text is an answer too
        raise TranslationError(
            f"OpenAI-compatible API: model did not return a JSON array of {expected} strings"
        )

    def close(self) -> None:
        self._http.close()
