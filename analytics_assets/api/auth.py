"""API-key authentication: `Authorization: Bearer <key>`, `X-API-Key: <key>`, or the dashboard's
HttpOnly cookie; scopes `read` and `admin`.

Keys are verified against their SHA-256 digests in MongoDB `api_keys` with a constant-time
comparison (`storage/mongo/api_keys.py`). A verified key is remembered for a few seconds under
its digest (never in plain text) so a burst of requests costs one lookup, and a revocation takes
effect within `VERIFY_TTL_S`. Failures say only "missing" or "invalid": nothing about the key
sent is echoed back or logged.
"""

from __future__ import annotations

import threading
import time

from fastapi import Request

from analytics_assets.storage.mongo.api_keys import ApiKey, ApiKeysRepository, digest

COOKIE_NAME = "aa_key"
VERIFY_TTL_S = 5.0


class AuthError(Exception):
    """401 (no or invalid key) or 403 (key without the scope)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    key = request.headers.get("x-api-key", "").strip()
    if key:
        return key
    # The dashboard's cookie authenticates reads only: SameSite=Strict already keeps other sites
    # from sending it, and a state-changing request must carry the key explicitly.
    if request.method in ("GET", "HEAD"):
        return request.cookies.get(COOKIE_NAME) or None
    return None


class KeyVerifier:
    def __init__(self, repo_factory) -> None:
        self._repo_factory = repo_factory
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, ApiKey | None]] = {}
        self._refreshing: set[str] = set()

    def repo(self) -> ApiKeysRepository:
        return self._repo_factory()

    def verify(self, key: str) -> ApiKey | None:
        tag = digest(key)
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(tag)
            if hit is not None and (now - hit[0] < VERIFY_TTL_S or tag in self._refreshing):
                # Fresh, or another request is re-checking this key right now: a burst at
                # expiry costs one lookup (a revocation shows within VERIFY_TTL_S + one lookup).
                return hit[1]
            self._refreshing.add(tag)
        try:
            found = self.repo().verify(key)
        finally:
            with self._lock:
                self._refreshing.discard(tag)
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[tag] = (time.monotonic(), found)
        return found

    def require(self, request: Request, scope: str) -> ApiKey:
        key = presented_key(request)
        if not key:
            raise AuthError(
                401,
                "missing_api_key",
                "an API key is required (Authorization: Bearer <key> or X-API-Key: <key>)",
            )
        found = self.verify(key)
        if found is None:
            raise AuthError(401, "invalid_api_key", "the API key is not valid or was revoked")
        if not found.allows(scope):
            raise AuthError(
                403,
                "insufficient_scope",
                f"this endpoint needs a key with scope "
                f"'{scope}'; the key has scope '{found.scope}'",
            )
        request.state.key_id = found.key_id
        return found
