"""Shared HTTP plumbing for the JSON backends (LibreTranslate, OpenAI-compatible).

One place maps HTTP outcomes to the engine's error classes, so every backend treats a 429, a
500, a timeout or a garbled body the same way. Error messages carry the status and the
server's own error text (cut short), never the request body or the API key.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import requests

from analytics_assets.defs.translation.backends.base import (
    FatalTranslationError,
    QuotaExceededError,
    RetryableTranslationError,
    TranslationError,
)
from analytics_assets.http_retry import parse_retry_after

_MAX_ERROR_TEXT = 200


def server_error_text(response: requests.Response) -> str:
    """The server's error message (`error`, `message`, `detail` or OpenAI's error object)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:_MAX_ERROR_TEXT].strip()
    if isinstance(body, dict):
        for field in ("error", "message", "detail"):
            value = body.get(field)
            if isinstance(value, dict):  # OpenAI: {"error": {"message": ..., "type": ...}}
                value = value.get("message") or value.get("type")
            if value:
                return str(value)[:_MAX_ERROR_TEXT]
    return str(body)[:_MAX_ERROR_TEXT]


def raise_for_response(response: requests.Response, service: str) -> None:
    """Turn a non-2xx response into the error class that tells the engine what to do."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = server_error_text(response)
    message = f"{service} HTTP {status}: {detail}" if detail else f"{service} HTTP {status}"
    if status == 429:
        if "quota" in detail.lower():
            raise QuotaExceededError(message, status)
        raise RetryableTranslationError(
            message, status, parse_retry_after(response.headers.get("Retry-After"))
        )
    if status in (401, 403, 404, 405):
        raise FatalTranslationError(message, status)
    if status == 456:
        raise QuotaExceededError(message, status)
    if status in (408, 409, 425) or status >= 500:
        raise RetryableTranslationError(
            message, status, parse_retry_after(response.headers.get("Retry-After"))
        )
    raise TranslationError(message, status)


class JsonHttpClient:
    """A thread-local `requests.Session` per backend: connection reuse without sharing state."""

    def __init__(self, service: str, timeout_s: float) -> None:
        self.service = service
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def post_json(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> Any:
        """POST JSON, return the parsed JSON reply or raise a translation error."""
        try:
            response = self._session().post(
                url, json=payload, headers=headers, timeout=self.timeout_s
            )
        except requests.Timeout as exc:
            raise RetryableTranslationError(
                f"{self.service}: no reply within {self.timeout_s:g}s"
            ) from exc
        except requests.ConnectionError as exc:
            raise RetryableTranslationError(f"{self.service}: connection failed") from exc
        raise_for_response(response, self.service)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise RetryableTranslationError(
                f"{self.service}: reply is not valid JSON", response.status_code
            ) from exc

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
