"""Retrying calls to outside services (NocoDB, the translators), on tenacity.

Both clients retry the same way: exponential backoff with jitter (so parallel fetchers and
batches do not retry in lockstep), except when the server says how long to wait: a 429 or 503
with `Retry-After` is waited for exactly, since retrying earlier only earns another refusal.
What counts as transient, how long a `Retry-After` may be, and what to do after the last try
stay in each client; this module holds the policy they share.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _server_wait(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    return getattr(exc, "retry_after", None)


class wait_backoff_or_retry_after(wait_base):  # noqa: N801 (tenacity's naming)
    """`Retry-After` when the failure carries one, else `base_s * 2**(n-1)` scaled by a random
    factor in `jitter` and capped at `max_s` (n: the number of tries made so far)."""

    def __init__(self, base_s: float, max_s: float, jitter: tuple[float, float]) -> None:
        self.base_s, self.max_s, self.jitter = base_s, max_s, jitter

    def __call__(self, retry_state: RetryCallState) -> float:
        server = _server_wait(retry_state)
        if server is not None:
            return server
        backoff = min(self.max_s, self.base_s * 2 ** (retry_state.attempt_number - 1))
        return backoff * random.uniform(*self.jitter)


class stop_if_retry_after_above(stop_base):  # noqa: N801
    """Give up at once when the server asks for a longer pause than `max_s`."""

    def __init__(self, max_s: float) -> None:
        self.max_s = max_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        server = _server_wait(retry_state)
        return server is not None and server > self.max_s


def retrying(
    *,
    tries: int,
    transient: type[BaseException] | tuple[type[BaseException], ...],
    wait: wait_base,
    sleep: Callable[[float], None],
    on_retry: Callable[[RetryCallState], None],
    stop: stop_base | None = None,
) -> Retrying:
    """A `Retrying` that re-raises the last failure (callers add what they know to it)."""
    stop_rule = stop_after_attempt(tries) if stop is None else stop_after_attempt(tries) | stop
    return Retrying(
        stop=stop_rule,
        wait=wait,
        retry=retry_if_exception_type(transient),
        sleep=sleep,
        before_sleep=on_retry,
        reraise=True,
    )


def next_wait(state: RetryCallState) -> float:
    """The pause tenacity chose before the coming try (for log lines and counters)."""
    return state.next_action.sleep if state.next_action else 0.0
