"""`api_keys`: the HTTP API's keys, stored as SHA-256 digests only.

A key is `aak_<key_id>_<secret>`: `key_id` (public, 12 hex chars) finds the document, the
digest of the whole key is compared in constant time (`hmac.compare_digest`). The secret is
256 random bits, so a plain SHA-256 is enough (no slow KDF needed for non-guessable secrets);
the plain key is shown once, at creation, and never stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.database import Database

API_KEYS = "api_keys"
SCOPES = ("read", "admin")
PREFIX = "aak"


@dataclass(frozen=True)
class ApiKey:
    """A verified key: who it is and what it may do."""

    key_id: str
    name: str
    scope: str

    def allows(self, scope: str) -> bool:
        """`admin` keys may do everything `read` keys may."""
        return self.scope == "admin" or scope == self.scope


def digest(key: str) -> str:
    """SHA-256 hex digest of the whole key: what is stored and compared."""
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> str | None:
    """The key id of a well-formed key, else None (nothing about the key is echoed)."""
    # The secret is URL-safe base64 and may itself contain "_": split twice only.
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1]


class ApiKeysRepository:
    """Create, list, revoke and verify keys; only digests are stored."""

    def __init__(self, db: Database) -> None:
        self.collection = db[API_KEYS]

    def ensure_indexes(self) -> None:
        """The unique key-id index (idempotent; called once by the app and the CLI, not per
        request)."""
        self.collection.create_index("key_id", unique=True, name="key_id_unique")

    def create(self, name: str, scope: str) -> tuple[str, dict[str, Any]]:
        """A new key: (the plain key, to show once; the stored document without its digest)."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        if not name.strip():
            raise ValueError("a key needs a name (who or what uses it)")
        key_id = secrets.token_hex(6)
        key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        doc = {
            "key_id": key_id,
            "name": name.strip(),
            "scope": scope,
            "sha256": digest(key),
            "created_at": datetime.now(UTC),
            "revoked_at": None,
        }
        self.collection.insert_one(doc)
        return key, _public(doc)

    def list(self) -> list[dict[str, Any]]:
        """Every key (revoked ones marked), oldest first, without digests."""
        return [_public(d) for d in self.collection.find({}).sort("created_at", 1)]

    def revoke(self, key_id: str) -> bool:
        """True when an active key was revoked (a revoked key stays listed, marked)."""
        result = self.collection.update_one(
            {"key_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": datetime.now(UTC)}}
        )
        return result.modified_count == 1

    def verify(self, key: str) -> ApiKey | None:
        """The key's identity when it is known and not revoked; None otherwise."""
        key_id = split_key(key)
        # Compare against a dummy digest when the id is unknown, so timing says nothing.
        doc = self.collection.find_one({"key_id": key_id}) if key_id else None
        expected = doc["sha256"] if doc else digest("aak_000000000000_unknown")
        matches = hmac.compare_digest(expected, digest(key.strip()))
        if not doc or not matches or doc.get("revoked_at") is not None:
            return None
        return ApiKey(key_id=doc["key_id"], name=doc["name"], scope=doc["scope"])


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in {"_id", "sha256"}}
