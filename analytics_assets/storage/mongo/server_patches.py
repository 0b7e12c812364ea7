"""Per-document costs of the embedded SecantusDB server that the platform removes (issue 16).

Profiling the embedded server under `insert_many` (benchmarks/README.md, "Serving writes")
showed most of its time in per-document work that does not depend on the document: for every
document it re-reads and BSON-decodes the collection's whole index list from WiredTiger
(`Storage._iter_indexes`), several times (unique-conflict probe, geo pre-flight, index-entry
writes). The list cannot change while a write holds the collection's lock (`_coll_lock`: every
DDL takes it too), so this module caches it for as long as the lock is held by the thread:

* `Storage._coll_lock` returns a wrapper around the same `RLock`; entering it opens a
  per-thread cache scope for that collection, leaving the outermost level drops the cache;
* `Storage._iter_indexes` answers from the scope's cache when one is open (filled by the first
  call), otherwise reads WiredTiger as before;
* any other access to the index table inside the scope (`create_index`, `drop_index`, ...)
  goes through `Storage._cursor(_IDX_TABLE)` and drops the cache, so the next read sees the
  change; the per-document multikey probe (`_maybe_mark_multikey`, which opens that cursor for
  every document) drops it only when it flagged an index.

Behaviour is unchanged (same documents, same errors); only the repeated reads go. Applied by
`embedded.serve` in the detached server process only, and only to the pinned SecantusDB
version it was written against (`PATCHED_VERSION`): another version runs unpatched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

PATCHED_VERSION = "0.7.0b3"
_state = threading.local()


def _scopes() -> dict[tuple[str, str], list[Any]]:
    """(db, coll) -> [depth, cached index list or None] for the current thread."""
    scopes = getattr(_state, "scopes", None)
    if scopes is None:
        scopes = _state.scopes = {}
    return scopes


class _ScopedLock:
    """The collection's `RLock`, plus the index-list cache scope while it is held."""

    __slots__ = ("_key", "_lock")

    def __init__(self, lock: threading.RLock, key: tuple[str, str]) -> None:
        self._lock = lock
        self._key = key

    def __enter__(self) -> bool:
        got = self._lock.__enter__()
        scope = _scopes().setdefault(self._key, [0, None])
        scope[0] += 1
        return got

    def __exit__(self, *exc: object) -> None:
        scopes = _scopes()
        scope = scopes.get(self._key)
        if scope is not None:
            scope[0] -= 1
            if scope[0] <= 0:
                del scopes[self._key]
        self._lock.__exit__(*exc)

    # Anything else (acquire/release) behaves as the plain lock.
    def __getattr__(self, name: str) -> Any:
        return getattr(self._lock, name)


def apply() -> bool:
    """Patch `secantus.storage.Storage` in this process; False (and nothing done) when the
    installed SecantusDB is not the version these patches were checked against."""
    try:
        if version("secantusdb") != PATCHED_VERSION:
            return False
    except Exception:  # noqa: BLE001 - not installed: nothing to patch
        return False
    from secantus import storage

    cls = storage.Storage
    if getattr(cls, "_analytics_patched", False):
        return True
    index_table = storage._IDX_TABLE
    original_lock = cls._coll_lock
    original_iter = cls._iter_indexes
    original_cursor = cls._cursor
    original_multikey = cls._maybe_mark_multikey

    def _coll_lock(self: Any, db: str, coll: str) -> _ScopedLock:
        return _ScopedLock(original_lock(self, db, coll), (db, coll))

    def _iter_indexes(self: Any, db: str, coll: str) -> Iterable[tuple[str, dict, dict]]:
        scope = _scopes().get((db, coll))
        if scope is None:
            return original_iter(self, db, coll)
        if scope[1] is None:
            scope[1] = list(original_iter(self, db, coll))
        # Callers may mutate what they get (dict(opts)): hand out copies of the mappings.
        return [(name, dict(key), dict(opts)) for name, key, opts in scope[1]]

    def _drop_cached() -> None:
        for scope in _scopes().values():
            scope[1] = None

    def _cursor(self: Any, table: str, *, overwrite: bool = True) -> Any:
        if table == index_table and not getattr(_state, "multikey_probe", False):
            _drop_cached()
        return original_cursor(self, table, overwrite=overwrite)

    def _maybe_mark_multikey(
        self: Any, db: str, coll: str, doc: Any, indexes: Any, already_multikey: set[str]
    ) -> set[str]:
        before = len(already_multikey)
        _state.multikey_probe = True
        try:
            result = original_multikey(self, db, coll, doc, indexes, already_multikey)
        finally:
            _state.multikey_probe = False
        if len(result) != before:  # an index may have been flagged: its options changed
            _drop_cached()
        return result

    cls._coll_lock = _coll_lock
    cls._iter_indexes = _iter_indexes
    cls._cursor = _cursor
    cls._maybe_mark_multikey = _maybe_mark_multikey
    cls._analytics_patched = True
    return True
