"""The translator interface every backend implements, and the errors the engine acts on.

A backend only knows how to send one batch of texts (all in one source language) and how big a
batch may be. Batching, retries with backoff, concurrency, the per-run budget and the cache
live in `engine.py` and `pipeline.py`, once for all backends, so a new backend is one small
class and behaves like the others under faults.

The error classes encode what the engine should do next, not what went wrong:

* `RetryableTranslationError`: try the same batch again later (429, 5xx, timeouts, a reply
  that is not the promised JSON); `retry_after` carries the server's Retry-After.
* `QuotaExceededError`: the account's quota is spent (DeepL 456, a 429 that says so): stop
  sending for this run; what is left is `budget_exhausted`, recorded, retried on a later run.
* `FatalTranslationError`: configuration is wrong (bad API key, unknown endpoint): stop
  sending; everything left fails with that reason.
* `TranslationError` (the base): this batch cannot be translated as sent (400: bad language,
  text too long). The engine splits the batch to isolate the offending text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


class TranslationError(Exception):
    """This batch was rejected as sent; other batches may still succeed."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableTranslationError(TranslationError):
    """A transient failure: the same request may succeed after a pause."""

    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class QuotaExceededError(TranslationError):
    """The backend's quota for this account is used up: stop sending for this run."""


class FatalTranslationError(TranslationError):
    """The backend cannot work as configured (auth, endpoint): stop sending for this run."""


@dataclass(frozen=True)
class BatchLimits:
    """How much one request may carry (the backend's documented limits, or lower)."""

    max_items: int
    max_chars: int

    def __post_init__(self) -> None:
        if self.max_items < 1 or self.max_chars < 1:
            raise ValueError("batch limits must be positive")


class Translator(ABC):
    """One translation service. Implementations must be safe to call from several threads."""

    #: short name stored in the `backend` column and in the cache key
    name: str = "abstract"

    @property
    def backend_id(self) -> str:
        """Identity of the translations this backend produces (cache key and `backend` column).

        Backends whose output depends on more than the service (an LLM's model) include it.
        """
        return self.name

    @property
    def configured(self) -> bool:
        """False for the `none` backend: detection only, nothing is sent anywhere."""
        return True

    @property
    @abstractmethod
    def limits(self) -> BatchLimits:
        """Batch limits for this backend."""

    @abstractmethod
    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        """Translate `texts` (all in ISO 639-1 `source`) into `target`, one result per text.

        Raises one of the errors above; never returns a list of a different length.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections."""


class NoneTranslator(Translator):
    """The default with no configuration: nothing is translated, rows say `not_configured`."""

    name = "none"

    @property
    def configured(self) -> bool:
        return False

    @property
    def limits(self) -> BatchLimits:
        return BatchLimits(max_items=1, max_chars=1)

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        raise FatalTranslationError("no translator configured (TRANSLATOR=none)")
