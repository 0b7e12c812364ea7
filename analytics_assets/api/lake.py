"""Read access to the Parquet lake for the API: partition listing, DuckDB reads, a cache.

* **Layout**: the IO manager's (`storage/parquet.py`): `<lake>/<asset>/date=YYYY-MM-DD/
  part-0.parquet`. A request names a time range; only the partitions of the days in it are
  listed and read (partition pruning by path, no directory-wide scans).
* **Engine**: DuckDB (`read_parquet`) reads the partition files, locally or on S3. For S3 the
  lake's fsspec filesystem (s3fs, with the same endpoint and region as the IO manager) is
  registered with DuckDB, so no DuckDB extension has to be downloaded at run time (`httpfs`
  would fetch one from the internet, which a production host may not reach).
* **Cache**: a partition's prepared frame is kept in memory keyed on the identity of its file(s)
  (size + modification time + inode locally, ETag on S3): the IO manager replaces a partition by an
  atomic rename/copy, which changes that identity, so a re-materialized partition is read
  again on the next request and an unchanged one never is. Requests therefore cost one listing
  per asset, not a full load. `API_CACHE_MAX_ROWS` bounds the memory (least recently used
  partitions go first).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from analytics_assets.storage.parquet import PART_FILE, LakeIOManager

Fingerprint = tuple[Any, ...]


@dataclass(frozen=True)
class Partition:
    """One stored partition file and its identity."""

    asset: str
    day: str
    path: str  # fsspec path (no scheme)
    fingerprint: Fingerprint


def days_between(first: date, last: date) -> list[str]:
    """ISO keys of every day from `first` to `last`, both included."""
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


class Lake:
    """The lake as the API sees it: read-only listing and DuckDB reads of partition files."""

    def __init__(self, io: LakeIOManager) -> None:
        self.io = io
        self.fs, self.root = io._fs_root()
        self._local = threading.local()

    @property
    def base(self) -> str:
        return self.io.base_path

    # -- listing ---------------------------------------------------------------------------

    def _identity(self, info: dict[str, Any]) -> Fingerprint:
        etag = info.get("ETag") or info.get("etag")
        if etag:
            return ("etag", etag, info.get("size"))
        return ("stat", info.get("size"), info.get("mtime"), info.get("ino"))

    def partitions(self, asset: str, days: Sequence[str] | None = None) -> dict[str, Partition]:
        """The stored daily partitions of `asset` (optionally only `days`), by day key."""
        prefix = f"{self.root}/{asset}"
        found: dict[str, Partition] = {}
        if days is not None and not self.io.is_s3:
            # Local: one os.stat per asked day (every request pays this, so no fsspec layer).
            for day in days:
                path = f"{prefix}/date={day}/{PART_FILE}"
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue
                identity = ("stat", st.st_size, st.st_mtime_ns, st.st_ino)
                found[day] = Partition(asset, day, path, identity)
            return found
        # S3 (or everything): one listing request per 1,000 keys beats a HEAD per day.
        try:
            listing = self.fs.find(prefix, detail=True)
        except FileNotFoundError:
            return {}
        wanted = set(days) if days is not None else None
        for path, info in listing.items():
            parts = path[len(prefix) + 1 :].split("/")
            if len(parts) != 2 or parts[1] != PART_FILE or not parts[0].startswith("date="):
                continue
            day = parts[0][len("date=") :]
            if wanted is None or day in wanted:
                found[day] = Partition(asset, day, path, self._identity(info))
        return dict(sorted(found.items()))

    # -- reading ---------------------------------------------------------------------------

    def connection(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection for this thread (DuckDB connections are not shared across
        threads; each thread gets a cursor of one in-memory database)."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = _database(self).cursor()
            self._local.con = con
        return con

    def url(self, path: str) -> str:
        return self.io.url(path)

    def read(self, partition: Partition, columns: Sequence[str] | None = None) -> pa.Table:
        """One partition file as an Arrow table (only `columns` that exist, when given)."""
        con = self.connection()
        source = f"read_parquet({_quote(self.url(partition.path))})"
        if columns:
            present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
            chosen = [c for c in columns if c in present]
            select = ", ".join(_ident(c) for c in chosen) if chosen else "*"
        else:
            select = "*"
        return con.sql(f"SELECT {select} FROM {source}").to_arrow_table()

    def read_path(self, path: str) -> pa.Table:
        """A whole file by its fsspec path (the deletion path rewrites files it found)."""
        return (
            self.connection()
            .sql(f"SELECT * FROM read_parquet({_quote(self.url(path))})")
            .to_arrow_table()
        )


_DB_LOCK = threading.Lock()
_DATABASES: dict[int, duckdb.DuckDBPyConnection] = {}


def _database(lake: Lake) -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB database per lake object, with the S3 filesystem registered."""
    with _DB_LOCK:
        db = _DATABASES.get(id(lake))
        if db is None:
            db = duckdb.connect(":memory:")
            if lake.io.is_s3:
                db.register_filesystem(lake.fs)
            _DATABASES[id(lake)] = db
        return db


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PartitionCache:
    """Prepared partitions in memory, keyed on (kind, day) and valid for one fingerprint.

    Thread-safe; two requests that miss the same partition at once may both build it (the
    result is identical), which is cheaper than holding a lock while reading a file.
    """

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str], tuple[Fingerprint, pa.Table]] = OrderedDict()
        self._rows = 0
        self.hits = 0
        self.misses = 0

    def get(
        self, kind: str, day: str, fingerprint: Fingerprint, build: Callable[[], pa.Table]
    ) -> pa.Table:
        key = (kind, day)
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[0] == fingerprint:
                self._items.move_to_end(key)
                self.hits += 1
                return item[1]
        table = build()
        with self._lock:
            self.misses += 1
            old = self._items.pop(key, None)
            if old is not None:
                self._rows -= old[1].num_rows
            if self.max_rows > 0:
                self._items[key] = (fingerprint, table)
                self._rows += table.num_rows
                while self._rows > self.max_rows and len(self._items) > 1:
                    _, (_, evicted) = self._items.popitem(last=False)
                    self._rows -= evicted.num_rows
        return table

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._rows = 0

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "partitions": len(self._items),
                "rows": self._rows,
                "hits": self.hits,
                "misses": self.misses,
            }


class ResultCache:
    """Answers of recent queries, keyed on the query and the identity of every partition file
    (and the deletion list) it read: a re-materialized partition or a deletion changes the key,
    so a stale answer is never served. Bounded by entries and by rows (a cached frame weighs its
    height, any other answer 1); least recently used entries go first; 0 rows: off."""

    def __init__(self, max_entries: int = 256, max_rows: int = 20_000_000) -> None:
        self.max_entries = max_entries
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._items: OrderedDict[Any, tuple[int, Any]] = OrderedDict()
        self._rows = 0
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _weight(value: Any) -> int:
        return max(1, int(getattr(value, "height", 1)))

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return item[1]
        value = compute()
        weight = self._weight(value)
        with self._lock:
            self.misses += 1
            if self.max_rows > 0 and weight <= self.max_rows and key not in self._items:
                self._items[key] = (weight, value)
                self._rows += weight
                while len(self._items) > self.max_entries or self._rows > self.max_rows:
                    _, (evicted, _) = self._items.popitem(last=False)
                    self._rows -= evicted
        return value

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._items),
                "rows": self._rows,
                "hits": self.hits,
                "misses": self.misses,
            }
