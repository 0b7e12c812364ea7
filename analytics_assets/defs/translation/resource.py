"""`TranslatorResource`: which translation service, its limits and the per-run budget.

Configuration is the environment (`.env.example`, section "Translation"); build the resource
with `TranslatorResource.from_settings()`. The API key (and the URL, which may carry
credentials) go through `EnvVar`, so their values never show in run config or the UI.
With no configuration the translator is `none`: languages are still detected, nothing is sent.

The resource builds a fresh backend and engine per run (`open_run`): the budget is per run, and
backends hold connection pools that belong to the run's process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from analytics_assets.defs.translation.backends import deepl, libretranslate, openai_compat
from analytics_assets.defs.translation.backends.base import BatchLimits, NoneTranslator, Translator
from analytics_assets.defs.translation.engine import Budget, RetryPolicy, TranslationEngine
from analytics_assets.settings import Settings, get_settings

BACKENDS = ("none", "libretranslate", "deepl", "openai")
DEFAULT_BUDGET_CHARS = 1_000_000
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


@dataclass
class TranslationSession:
    """The backend and engine of one run."""

    translator: Translator
    engine: TranslationEngine | None
    target_language: str


class TranslatorResource(ConfigurableResource):
    """The translation service and how much one run may send to it."""

    translator: str = Field(default="none", description="TRANSLATOR: " + " | ".join(BACKENDS))
    url: str = Field(
        default="",
        description="TRANSLATOR_URL: LibreTranslate base URL, OpenAI-compatible API base "
        "(…/v1), or a DeepL server override",
    )
    api_key: str = Field(default="", description="TRANSLATOR_API_KEY (pass an EnvVar)")
    model: str = Field(default="", description="TRANSLATOR_MODEL, for TRANSLATOR=openai")
    target_language: str = Field(
        default="en", description="TRANSLATION_TARGET_LANGUAGE (ISO 639-1, e.g. en, de, en-GB)"
    )
    budget_chars: int = Field(
        default=DEFAULT_BUDGET_CHARS,
        description="TRANSLATION_BUDGET_CHARS: characters one run may send (0 = unlimited)",
    )
    budget_requests: int = Field(
        default=0, description="TRANSLATION_BUDGET_REQUESTS: requests per run (0 = unlimited)"
    )
    max_concurrency: int = Field(
        default=4, description="TRANSLATION_MAX_CONCURRENCY: requests in flight at once"
    )
    timeout_s: float = Field(default=30.0, description="TRANSLATION_TIMEOUT_S: per request")
    max_attempts: int = Field(
        default=4, description="TRANSLATION_MAX_ATTEMPTS: tries per batch on 429/5xx/timeouts"
    )
    backoff_s: float = Field(
        default=0.5, description="TRANSLATION_BACKOFF_S: first retry pause (doubles)"
    )
    batch_size: int = Field(
        default=0, description="TRANSLATION_BATCH_SIZE: texts per request (0 = backend default)"
    )
    batch_chars: int = Field(
        default=0,
        description="TRANSLATION_BATCH_CHARS: characters per request (0 = backend default)",
    )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> TranslatorResource:
        """The `TRANSLATOR*`/`TRANSLATION_*` settings; secrets stay `EnvVar`s."""
        s = settings or get_settings()
        return cls(
            translator=s.translator,
            url=EnvVar("TRANSLATOR_URL") if s.translator_url_set else "",
            api_key=EnvVar("TRANSLATOR_API_KEY") if s.translator_api_key_set else "",
            model=s.translator_model,
            target_language=s.translation_target_language,
            budget_chars=s.translation_budget_chars,
            budget_requests=s.translation_budget_requests,
            max_concurrency=s.translation_max_concurrency,
            timeout_s=s.translation_timeout_s,
            max_attempts=s.translation_max_attempts,
            backoff_s=s.translation_backoff_s,
            batch_size=s.translation_batch_size,
            batch_chars=s.translation_batch_chars,
        )

    def _limits(self, default: BatchLimits) -> BatchLimits:
        return BatchLimits(
            max_items=self.batch_size or default.max_items,
            max_chars=self.batch_chars or default.max_chars,
        )

    def build_translator(self) -> Translator:
        """The configured backend; a clear error for an unknown name or missing setting."""
        kind = self.translator.strip().lower()
        if kind not in BACKENDS:
            raise ValueError(f"TRANSLATOR must be one of {', '.join(BACKENDS)}, got {kind!r}")
        if kind == "none":
            return NoneTranslator()
        if kind == "libretranslate":
            return libretranslate.LibreTranslateTranslator(
                self.url,
                api_key=self.api_key or None,
                timeout_s=self.timeout_s,
                limits=self._limits(libretranslate.DEFAULT_LIMITS),
            )
        if kind == "deepl":
            return deepl.DeepLTranslator(
                self.api_key,
                url=self.url or None,
                timeout_s=self.timeout_s,
                limits=self._limits(deepl.DEFAULT_LIMITS),
            )
        return openai_compat.OpenAICompatTranslator(
            self.url or DEFAULT_OPENAI_URL,
            model=self.model,
            api_key=self.api_key or None,
            timeout_s=self.timeout_s,
            limits=self._limits(openai_compat.DEFAULT_LIMITS),
        )

    @contextmanager
    def open_run(self) -> Iterator[TranslationSession]:
        """Backend + engine (fresh budget) for one run; connections closed afterwards."""
        if not self.target_language.strip():
            raise ValueError("TRANSLATION_TARGET_LANGUAGE must not be empty")
        translator = self.build_translator()
        engine = (
            TranslationEngine(
                translator,
                self.target_language.strip(),
                budget=Budget(max_chars=self.budget_chars, max_requests=self.budget_requests),
                retry=RetryPolicy(max_attempts=self.max_attempts, base_delay_s=self.backoff_s),
                max_concurrency=self.max_concurrency,
            )
            if translator.configured
            else None
        )
        try:
            yield TranslationSession(translator, engine, self.target_language.strip())
        finally:
            translator.close()
