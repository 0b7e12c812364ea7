"""Sending unique texts to a translator: batching, budget, bounded concurrency, retries.

Input is a frame of *unique* texts that are not in the cache yet (`key, text, source`); output
is one row per key with `translated`, `status` (`translated` | `failed` | `budget_exhausted`)
and `reason`. Every key comes back: a text that was not translated says why, so nothing is
lost and the next run (the retry) picks it up.

Why each piece:

* Batches follow the backend's limits (texts and characters per request) and hold one source
  language, since every API takes one `source` per request.
* The budget is reserved in the calling thread, batch by batch in input order, *before* any
  request is sent: a run can never send more than `max_chars` characters / `max_requests`
  requests, and which texts were left over is deterministic. Retries of a batch that failed
  with 429/5xx/timeout are not charged again (providers do not bill them), but they are
  bounded by `RetryPolicy.max_attempts`.
* At most `max_concurrency` requests are in flight (a thread pool: the work is network-bound).
* 429/5xx/timeouts/garbled replies are retried with exponential backoff and jitter, waiting
  exactly the server's Retry-After when it gives one (the policy is `http_retry`'s, on
  tenacity). A batch the server refuses as sent
  (400) is split in halves until the offending text is alone, so one bad text does not fail
  its 49 neighbours. A spent quota or a wrong API key stops all sending for the run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from analytics_assets.defs.translation.backends.base import (
    BatchLimits,
    FatalTranslationError,
    QuotaExceededError,
    RetryableTranslationError,
    TranslationError,
    Translator,
)
from analytics_assets.http_retry import (
    retrying,
    stop_if_retry_after_above,
    wait_backoff_or_retry_after,
)

TRANSLATED = "translated"
FAILED = "failed"
BUDGET_EXHAUSTED = "budget_exhausted"

RESULT_SCHEMA = pl.Schema(
    {
        "key": pl.String(),
        "translated": pl.String(),
        "status": pl.String(),
        "reason": pl.String(),
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed request is repeated."""

    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    #: a server asking for a longer pause than this is not waited for: the batch fails now
    #: (recorded, retried by the next run) instead of holding the run for minutes
    max_retry_after_s: float = 120.0


class Budget:
    """What one run may spend: characters and requests, 0 meaning unlimited. Thread-safe."""

    def __init__(self, max_chars: int = 0, max_requests: int = 0) -> None:
        if max_chars < 0 or max_requests < 0:
            raise ValueError("budget limits must be >= 0 (0 = unlimited)")
        self.max_chars = max_chars
        self.max_requests = max_requests
        self.chars_used = 0
        self.requests_used = 0
        self._lock = threading.Lock()

    def chars_left(self) -> int | None:
        return None if not self.max_chars else self.max_chars - self.chars_used

    def try_reserve(self, chars: int, requests: int = 1) -> bool:
        with self._lock:
            if self.max_chars and self.chars_used + chars > self.max_chars:
                return False
            if self.max_requests and self.requests_used + requests > self.max_requests:
                return False
            self.chars_used += chars
            self.requests_used += requests
            return True

    def describe(self) -> str:
        parts = []
        if self.max_chars:
            parts.append(f"{self.max_chars} characters")
        if self.max_requests:
            parts.append(f"{self.max_requests} requests")
        return " / ".join(parts) or "unlimited"


@dataclass
class EngineStats:
    """What actually went over the wire (every attempt counts)."""

    requests: int = 0
    retries: int = 0
    characters_sent: int = 0
    batches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_request(self, chars: int) -> None:
        with self._lock:
            self.requests += 1
            self.characters_sent += chars

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1


@dataclass(frozen=True)
class _Batch:
    source: str
    keys: list[str]
    texts: list[str]

    @property
    def chars(self) -> int:
        return sum(len(text) for text in self.texts)

    def halves(self) -> tuple[_Batch, _Batch]:
        mid = len(self.keys) // 2
        return (
            _Batch(self.source, self.keys[:mid], self.texts[:mid]),
            _Batch(self.source, self.keys[mid:], self.texts[mid:]),
        )


class _Stopped(Exception):
    """Sending stopped for the run (quota spent or fatal configuration error)."""


def batch_ranges(lengths: list[int], limits: BatchLimits) -> list[tuple[int, int]]:
    """Greedy [start, end) ranges of consecutive texts that fit one request's limits.

    A text longer than `max_chars` travels alone (the server decides whether it takes it).
    """
    ranges: list[tuple[int, int]] = []
    start, chars = 0, 0
    for i, length in enumerate(lengths):
        full = i - start >= limits.max_items or (i > start and chars + length > limits.max_chars)
        if full:
            ranges.append((start, i))
            start, chars = i, 0
        chars += length
    if start < len(lengths):
        ranges.append((start, len(lengths)))
    return ranges


class TranslationEngine:
    """One run's sending: owns the budget, the stats and the stop flag."""

    def __init__(
        self,
        translator: Translator,
        target: str,
        *,
        budget: Budget | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.translator = translator
        self.target = target
        self.budget = budget or Budget()
        self.retry = retry or RetryPolicy()
        self.max_concurrency = max_concurrency
        self.stats = EngineStats()
        self._sleep = sleep
        self._stop_lock = threading.Lock()
        self._stop: tuple[str, str] | None = None

    # -- planning ---------------------------------------------------------------------------

    def _batches(self, items: pl.DataFrame) -> list[_Batch]:
        batches: list[_Batch] = []
        limits = self.translator.limits
        for (source,), group in items.group_by("source", maintain_order=True):
            keys = group["key"].to_list()
            texts = group["text"].to_list()
            lengths = group["text"].str.len_chars().to_list()
            for start, end in batch_ranges(lengths, limits):
                batches.append(_Batch(str(source), keys[start:end], texts[start:end]))
        return batches

    def _reserve(self, batch: _Batch) -> tuple[_Batch | None, _Batch | None]:
        """Split `batch` into the part the budget allows (reserved now) and the rest."""
        if self.budget.try_reserve(batch.chars):
            return batch, None
        left = self.budget.chars_left()
        fit = 0
        if left is not None:
            total = 0
            for text in batch.texts:
                if total + len(text) > left:
                    break
                total += len(text)
                fit += 1
        if fit and self.budget.try_reserve(sum(len(t) for t in batch.texts[:fit])):
            head = _Batch(batch.source, batch.keys[:fit], batch.texts[:fit])
            tail = _Batch(batch.source, batch.keys[fit:], batch.texts[fit:])
            return head, tail
        return None, batch

    # -- sending ----------------------------------------------------------------------------

    def _set_stop(self, status: str, reason: str) -> None:
        with self._stop_lock:
            if self._stop is None:
                self._stop = (status, reason)

    def _send(self, batch: _Batch) -> list[str]:
        def attempt() -> list[str]:
            if self._stop is not None:
                raise _Stopped
            self.stats.add_request(batch.chars)
            return self.translator.translate_batch(batch.texts, batch.source, self.target)

        policy = retrying(
            tries=self.retry.max_attempts,
            transient=RetryableTranslationError,
            # Jitter in [0.5, 1]: never much shorter than the backoff, still spread out.
            wait=wait_backoff_or_retry_after(
                self.retry.base_delay_s, self.retry.max_delay_s, (0.5, 1.0)
            ),
            stop=stop_if_retry_after_above(self.retry.max_retry_after_s),
            sleep=self._sleep,
            on_retry=lambda _state: self.stats.add_retry(),
        )
        try:
            return policy(attempt)
        except RetryableTranslationError as exc:
            too_long = (
                exc.retry_after is not None and exc.retry_after > self.retry.max_retry_after_s
            )
            why = "Retry-After too long" if too_long else f"{self.retry.max_attempts} attempts"
            raise RetryableTranslationError(f"{exc} (gave up after {why})", exc.status) from exc

    def _run(self, batch: _Batch) -> list[tuple[str, str | None, str, str | None]]:
        def rows(status: str, reason: str | None, texts: list[str] | None = None) -> list:
            values = texts if texts is not None else [None] * len(batch.keys)
            return [(k, v, status, reason) for k, v in zip(batch.keys, values, strict=True)]

        try:
            translated = self._send(batch)
        except _Stopped:
            status, reason = self._stop or (FAILED, "stopped")
            return rows(status, reason)
        except QuotaExceededError as exc:
            reason = f"backend quota exceeded: {exc}"
            self._set_stop(BUDGET_EXHAUSTED, reason)
            return rows(BUDGET_EXHAUSTED, reason)
        except FatalTranslationError as exc:
            self._set_stop(FAILED, str(exc))
            return rows(FAILED, str(exc))
        except RetryableTranslationError as exc:
            return rows(FAILED, str(exc))
        except TranslationError as exc:
            if len(batch.keys) > 1:
                first, second = batch.halves()
                return self._run(first) + self._run(second)
            return rows(FAILED, str(exc))
        if len(translated) != len(batch.keys):  # a backend bug, not a server fault
            return rows(FAILED, "backend returned a different number of translations")
        return rows(TRANSLATED, None, translated)

    def translate(self, items: pl.DataFrame) -> pl.DataFrame:
        """Translate unique `key, text, source` rows; one result row per key, in any order."""
        if items.height == 0:
            return pl.DataFrame(schema=RESULT_SCHEMA)
        if items["key"].n_unique() != items.height:
            raise ValueError("engine input must hold unique keys")
        results: list[tuple[str, str | None, str, str | None]] = []
        to_send: list[_Batch] = []
        exhausted = False
        reason = f"translation budget of {self.budget.describe()} per run used up"
        for batch in self._batches(items):
            if exhausted:
                results.extend((k, None, BUDGET_EXHAUSTED, reason) for k in batch.keys)
                continue
            head, tail = self._reserve(batch)
            if head is not None:
                to_send.append(head)
            if tail is not None:
                exhausted = True
                results.extend((k, None, BUDGET_EXHAUSTED, reason) for k in tail.keys)
        self.stats.batches += len(to_send)
        with ThreadPoolExecutor(
            max_workers=self.max_concurrency, thread_name_prefix="translate"
        ) as pool:
            for batch_rows in pool.map(self._run, to_send):
                results.extend(batch_rows)
        return pl.DataFrame(results, schema=RESULT_SCHEMA, orient="row")
