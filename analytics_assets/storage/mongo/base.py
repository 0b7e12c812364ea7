"""The shared repository base: frames/documents in, bulk writes out, partition replacement.

Every write is a bulk operation (`bulk_write(..., ordered=False)` in chunks), matched on the
collection's unique business key, so running the same write twice leaves the same documents.

Partition replacement (`replace_partition`) is "upsert the new documents, then delete the ones
this write did not touch":

1. each new document is stamped with the partition value and a fresh write id (`_write_id`);
   a key already in the partition is written with `ReplaceOne(key, doc, upsert=True)` (the
   document becomes exactly the new version, no stale fields), a new key with `InsertOne`
   (the fast path; if the key exists after all, e.g. in another partition or written
   concurrently, the duplicate-key failure is retried as the same `ReplaceOne` upsert);
2. `delete_many({partition: value, _write_id: {$ne: this write}})` removes documents of the
   partition that are not in the new set.

Concurrent writers of the same partition (two runs of one partition at once, e.g. under the
celery executor) would interleave steps 1 and 2 and delete each other's documents, leaving the
partition empty or mixed. So a replacement holds a per-partition lease in
`_partition_locks` (a unique `_id`, taken with an insert, released by its owner, taken over once
its lease expired if the holder died): writers of one partition take turns, and the partition
ends up exactly the set of the last one, whole. The lease names its holder's host and pid, so a
writer on the same host takes over at once from a holder that is gone (a SIGKILLed run),
instead of waiting out the lease: before, the next run after a kill hung for 30 minutes.

A crash during step 1 leaves the partition holding, for each key, either the old or the new
document (never none, never two: the unique index), plus stale keys; a crash before step 2
leaves stale keys. Re-running the write converges to exactly the new set. Readers never see an
empty partition, which delete-then-insert would show during a rewrite. MongoDB transactions
would make it atomic but need a replica set, which neither a standalone mongod nor the
embedded server provides.

`rewrite_partition` is the bulk path of the serving assets (`defs/serving/`): under the same
lease it deletes the partition, then inserts the new set with `insert_many(ordered=False)` in
large batches (optionally from several threads). It leaves the same documents as
`replace_partition` (partition value, `_write_id` and `updated_at` stamped alike) at several
times the documents/s, and gives up one thing: while it runs, or after a crash, readers see the
partition incomplete (the serving asset's materialization then fails, and re-running it
converges). The lake (Parquet) is the record; MongoDB serves it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic, sleep
from typing import Any, ClassVar

import polars as pl
import pymongo
from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError
from pymongo.results import BulkWriteResult

from analytics_assets.storage.atomic import host_hash, pid_alive
from analytics_assets.storage.mongo.collections import SPECS_BY_NAME, CollectionSpec

WRITE_ID = "_write_id"
DUPLICATE_KEY = 11000
DEFAULT_CHUNK = 2000
PARTITION_LOCKS = "_partition_locks"
# A holder renews nothing: the lease must outlast the longest single partition write.
LOCK_LEASE = timedelta(minutes=30)
LOCK_WAIT_S = 3600.0
#: how long releasing a lease may take: a server that just died must not hold the error up.
RELEASE_TIMEOUT_S = 5.0
#: leases this process could not release (the server went away mid-write), by lock id:
#: released by the next write of that partition here, instead of waiting out LOCK_LEASE.
_UNRELEASED: dict[tuple[str, str], str] = {}

Documents = pl.DataFrame | Iterable[Mapping[str, Any]]


@dataclass(frozen=True)
class WriteCounts:
    """What a bulk write did, for logs and Dagster output metadata."""

    documents: int = 0
    inserted: int = 0
    matched: int = 0
    modified: int = 0
    deleted: int = 0

    def __add__(self, other: WriteCounts) -> WriteCounts:
        return WriteCounts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


@contextmanager
def partition_lock(
    collection: Collection,
    partition_field: str,
    partition_value: Any,
    *,
    lease: timedelta = LOCK_LEASE,
    wait_s: float = LOCK_WAIT_S,
    poll_s: float = 0.05,
) -> Iterator[None]:
    """Hold the write lease of one partition of `collection` (see the module docstring)."""
    locks = collection.database[PARTITION_LOCKS]
    lock_id = f"{collection.name}|{partition_field}={partition_value}"
    owner = uuid.uuid4().hex
    holder = {"host": host_hash(), "pid": os.getpid()}
    stale = _UNRELEASED.pop((collection.database.name, lock_id), None)
    if stale is not None:
        locks.delete_one({"_id": lock_id, "owner": stale})
    deadline = monotonic() + wait_s
    while True:
        now = utcnow()
        lock = {"owner": owner, "expires_at": now + lease, **holder}
        try:
            locks.insert_one({"_id": lock_id, **lock})
            break
        except DuplicateKeyError:
            # A holder that died never releases: its lease runs out and the next writer takes
            # it, or at once when the holder is a process of this host that is gone.
            current = locks.find_one({"_id": lock_id})
            if current is None:
                continue  # released meanwhile: insert again
            if _holder_gone(current):  # only from that holder: not from a live one that won
                expired = {"_id": lock_id, "owner": current["owner"]}
            else:
                expired = {"_id": lock_id, "expires_at": {"$lt": now}}
            if locks.find_one_and_update(expired, {"$set": lock}) is not None:
                break
        if monotonic() > deadline:
            raise TimeoutError(f"partition {lock_id} stayed locked for {wait_s:.0f} s")
        sleep(poll_s)
    try:
        yield
    finally:
        try:
            with pymongo.timeout(RELEASE_TIMEOUT_S):
                locks.delete_one({"_id": lock_id, "owner": owner})
        except PyMongoError:
            # The server is gone (killed mid-write): keep the write's own error, and release
            # this lease on this process's next write of the partition.
            _UNRELEASED[(collection.database.name, lock_id)] = owner


def _holder_gone(lock: Mapping[str, Any] | None) -> bool:
    """The lease's holder is a process of this host that no longer exists."""
    if lock is None or lock.get("host") != host_hash() or not isinstance(lock.get("pid"), int):
        return False
    return lock["pid"] != os.getpid() and not pid_alive(lock["pid"])


def utcnow() -> datetime:
    """Millisecond precision: what BSON dates keep, so a value read back compares equal."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def day_start(key: str | date | datetime) -> datetime:
    """Midnight UTC of a partition key / date, as a BSON-ready datetime."""
    if isinstance(key, datetime):
        key = key.astimezone(UTC).date() if key.tzinfo else key.date()
    elif isinstance(key, str):
        key = date.fromisoformat(key[:10])
    return datetime.combine(key, time.min, tzinfo=UTC)


# --- frame/document conversion ------------------------------------------------------------


def frame_to_bson_ready(df: pl.DataFrame) -> pl.DataFrame:
    """Cast the column types BSON cannot carry, in Polars (no per-row Python).

    Dates become midnight-UTC datetimes, naive datetimes are taken as UTC, aware ones are
    converted to UTC, decimals become floats. Nested lists/structs keep their values.
    """
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            exprs.append(col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(
                col.dt.replace_time_zone("UTC")
                if dtype.time_zone is None
                else col.dt.convert_time_zone("UTC")
            )
        elif isinstance(dtype, pl.Decimal):
            exprs.append(col.cast(pl.Float64))
        else:
            exprs.append(col)
    return df.select(exprs)


def _bson_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return day_start(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _bson_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bson_value(v) for v in value]
    return value


def iter_document_chunks(docs: Documents, chunk: int = DEFAULT_CHUNK) -> Iterator[list[dict]]:
    """Documents in chunks of at most `chunk`, BSON-ready (frames are converted in Polars)."""
    if isinstance(docs, pl.DataFrame):
        ready = frame_to_bson_ready(docs)
        for part in ready.iter_slices(n_rows=chunk):
            yield part.to_dicts()
        return
    batch: list[dict] = []
    for doc in docs:
        batch.append({k: _bson_value(v) for k, v in doc.items()})
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch


def key_filter(doc: Mapping[str, Any], key_fields: Sequence[str]) -> dict[str, Any]:
    try:
        return {k: doc[k] for k in key_fields}
    except KeyError as exc:
        raise ValueError(
            f"document lacks key field {exc.args[0]!r}: keys are {key_fields}"
        ) from exc


def grouped(
    keys: Mapping[str, Any],
    totals: Mapping[str, Any],
    derived: Mapping[str, Any] | None = None,
    sets: Mapping[str, Any] | None = None,
    sort: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """`$group` by `keys`, then `$project` the keys flat beside the `totals` and the `derived`
    figures (which read the `sets` accumulated only for them, e.g. `$size` of an `$addToSet`),
    then `$sort` (by the keys unless told): the shape of every summary query here."""
    return [
        {"$group": {"_id": dict(keys), **totals, **(sets or {})}},
        {
            "$project": {
                "_id": 0,
                **{name: f"$_id.{name}" for name in keys},
                **dict.fromkeys(totals, 1),
                **(derived or {}),
            }
        },
        {"$sort": dict(sort) if sort else dict.fromkeys(keys, 1)},
    ]


def _check_unique_keys(docs: Documents, key_fields: Sequence[str]) -> None:
    """Duplicate keys in one write are a bug upstream: refuse rather than keep an arbitrary one."""
    if isinstance(docs, pl.DataFrame):
        missing = [k for k in key_fields if k not in docs.columns]
        if missing:
            raise ValueError(f"frame lacks key columns {missing}")
        dupes = docs.select(key_fields).filter(pl.struct(key_fields).is_duplicated())
        if dupes.height:
            raise ValueError(f"duplicate keys {list(key_fields)} in write: {dupes.head(5).rows()}")


def _run_batches(
    write: Callable[[Any], WriteCounts], batches: Iterable[Any], connections: int
) -> WriteCounts:
    """`write` every batch, from `connections` threads when > 1 (pymongo's pool hands each
    thread its own connection). At most two batches per thread are prepared ahead, so a large
    partition never sits in memory as documents all at once. The first failure is raised."""
    total = WriteCounts()
    if connections <= 1:
        for batch in batches:
            total = total + write(batch)
        return total
    with ThreadPoolExecutor(max_workers=connections) as pool:
        pending: list[Future[WriteCounts]] = []
        for batch in batches:
            pending.append(pool.submit(write, batch))
            while len(pending) >= 2 * connections:
                total = total + pending.pop(0).result()
        for future in pending:
            total = total + future.result()
    return total


def _counts(result: BulkWriteResult, documents: int) -> WriteCounts:
    return WriteCounts(
        documents=documents,
        inserted=result.upserted_count + result.inserted_count,
        matched=result.matched_count,
        modified=result.modified_count,
    )


def _stamp(
    doc: dict, partition_field: str, value: Any, stamps: dict[str, Any], keys: tuple[str, ...]
) -> None:
    """Put the partition value and the write's stamps on `doc`; one naming another partition is
    refused (it would be deleted with the other partition's stale documents)."""
    if doc.get(partition_field, value) != value:
        raise ValueError(
            f"document {key_filter(doc, keys)} has {partition_field}="
            f"{doc[partition_field]!r}, not the partition being written ({value!r})"
        )
    doc[partition_field] = value
    doc.update(stamps)


def _duplicates_as_upserts(
    exc: BulkWriteError,
    docs: list[dict],
    keys: tuple[str, ...],
    retryable: Callable[[int], bool],
) -> list[ReplaceOne]:
    """The inserts of a failed unordered bulk write that hit an existing key, as upserts.

    Any other error (or a duplicate on an operation `retryable` refuses) is re-raised: only a
    key that appeared meanwhile, or lives in another partition, is safe to overwrite.
    """
    retry: list[ReplaceOne] = []
    for error in exc.details.get("writeErrors", []):
        if error.get("code") != DUPLICATE_KEY or not retryable(error["index"]):
            raise exc
        doc = docs[error["index"]]
        if "_id" not in keys:  # pymongo gave the insert an `_id`: not this document's
            doc = {k: v for k, v in doc.items() if k != "_id"}
        retry.append(ReplaceOne(key_filter(doc, keys), doc, upsert=True))
    return retry


class Repository:
    """One collection, its spec and the bulk operations every area needs."""

    collection_name: ClassVar[str] = ""

    def __init__(self, db: Database, collection_name: str | None = None) -> None:
        """`collection_name` overrides the class's collection (generic use by the IO manager:
        a collection without a spec works too, given explicit key fields)."""
        name = collection_name or self.collection_name
        self.db = db
        self.spec: CollectionSpec | None = SPECS_BY_NAME.get(name)
        self.collection: Collection = db[name]

    def _keys(self, key_fields: Sequence[str] | None) -> tuple[str, ...]:
        if key_fields:
            return tuple(key_fields)
        if self.spec is None:
            raise ValueError(f"collection {self.collection.name} has no spec: pass key_fields")
        return self.spec.key_fields

    def partition_defaults_applied(
        self, partition_value: Any, docs: Documents, partition_field: str
    ) -> Documents:
        """`docs` as a partition write takes them; subclasses fill per-partition defaults."""
        return docs

    # -- writes -----------------------------------------------------------------------------

    def upsert_many(
        self,
        docs: Documents,
        key_fields: Sequence[str] | None = None,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> WriteCounts:
        """Insert or update documents by key (`$set`: fields other writers added are kept).

        `updated_at` is stamped on every document. Idempotent: running it twice leaves the
        same documents (the unique index on the key makes duplicates impossible).
        """
        keys = self._keys(key_fields)
        _check_unique_keys(docs, keys)
        now = utcnow()
        total = WriteCounts()
        seen: set[tuple] = set()
        for batch in iter_document_chunks(docs, chunk_size):
            ops = []
            for doc in batch:
                fields = {k: v for k, v in doc.items() if k != "_id"}
                fields["updated_at"] = now
                flt = key_filter(doc, keys)
                ident = tuple(flt.values())
                if ident in seen:
                    raise ValueError(f"duplicate key {flt} in one upsert_many call")
                seen.add(ident)
                ops.append(UpdateOne(flt, {"$set": fields}, upsert=True))
            total = total + _counts(self.collection.bulk_write(ops, ordered=False), len(ops))
        return total

    def replace_partition(
        self,
        partition_value: Any,
        docs: Documents,
        *,
        partition_field: str = "partition",
        key_fields: Sequence[str] | None = None,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> WriteCounts:
        """Make the documents whose `partition_field` equals `partition_value` exactly `docs`.

        Documents without the field get it; one with another value is refused. See the module
        docstring for what a crash leaves and why re-running converges.
        """
        keys = self._keys(key_fields)
        docs = self.partition_defaults_applied(partition_value, docs, partition_field)
        _check_unique_keys(docs, keys)
        with partition_lock(self.collection, partition_field, partition_value):
            return self._replace_partition_locked(
                partition_value, docs, partition_field, keys, chunk_size
            )

    def _replace_partition_locked(
        self,
        partition_value: Any,
        docs: Documents,
        partition_field: str,
        keys: tuple[str, ...],
        chunk_size: int,
    ) -> WriteCounts:
        write_id = uuid.uuid4().hex
        now = utcnow()
        value = _bson_value(partition_value)
        # Keys already in the partition are replaced; the others are plain inserts (the fast
        # path on every server). A key that appeared meanwhile, or lives in another partition,
        # fails its insert with a duplicate key and is retried as an upsert.
        existing = {
            tuple(d.get(k) for k in keys)
            for d in self.collection.find({partition_field: value}, {k: 1 for k in keys})
        }
        seen: set[tuple] = set()
        total = WriteCounts()
        for batch in iter_document_chunks(docs, chunk_size):
            ops: list[InsertOne | ReplaceOne] = []
            for doc in batch:
                _stamp(doc, partition_field, value, {WRITE_ID: write_id, "updated_at": now}, keys)
                flt = key_filter(doc, keys)
                ident = tuple(flt.values())
                if ident in seen:
                    raise ValueError(f"duplicate key {flt} in partition write")
                seen.add(ident)
                if ident in existing:
                    ops.append(ReplaceOne(flt, doc, upsert=True))
                else:
                    ops.append(InsertOne(doc))
            total = total + self._write_replacing(ops, batch, keys)
        deleted = self.collection.delete_many(
            {partition_field: value, WRITE_ID: {"$ne": write_id}}
        ).deleted_count
        return total + WriteCounts(deleted=deleted)

    def rewrite_partition(
        self,
        partition_value: Any,
        docs: Documents,
        *,
        partition_field: str = "partition",
        key_fields: Sequence[str] | None = None,
        batch: int = 10_000,
        connections: int = 1,
    ) -> WriteCounts:
        """Make the partition's documents exactly `docs`: delete the partition, then insert.

        The bulk path (module docstring): no per-document upsert and no read of the
        partition's keys; `insert_many(ordered=False)` batches of `batch` documents on
        `connections` threads, under the partition's lease like `replace_partition`. An insert
        that hits a key living outside the partition is retried as an upsert, as there.
        """
        keys = self._keys(key_fields)
        docs = self.partition_defaults_applied(partition_value, docs, partition_field)
        _check_unique_keys(docs, keys)
        with partition_lock(self.collection, partition_field, partition_value):
            stamps = {WRITE_ID: uuid.uuid4().hex, "updated_at": utcnow()}
            value = _bson_value(partition_value)
            deleted = self.collection.delete_many({partition_field: value}).deleted_count
            seen: set[tuple] = set()

            def stamp(batch_docs: list[dict]) -> list[dict]:
                for doc in batch_docs:
                    _stamp(doc, partition_field, value, stamps, keys)
                    if not isinstance(docs, pl.DataFrame):  # frames were checked above
                        ident = tuple(key_filter(doc, keys).values())
                        if ident in seen:
                            raise ValueError(f"duplicate key {ident} in partition write")
                        seen.add(ident)
                return batch_docs

            chunks = (stamp(b) for b in iter_document_chunks(docs, batch))
            total = _run_batches(lambda c: self._insert_batch(c, keys), chunks, connections)
        return total + WriteCounts(deleted=deleted)

    def _insert_batch(self, docs: list[dict], keys: tuple[str, ...]) -> WriteCounts:
        """`insert_many(ordered=False)`; duplicate keys are retried as upserts."""
        try:
            result = self.collection.insert_many(docs, ordered=False)
            return WriteCounts(documents=len(docs), inserted=len(result.inserted_ids))
        except BulkWriteError as exc:
            details = exc.details
            retry = _duplicates_as_upserts(exc, docs, keys, lambda _index: True)
            done = WriteCounts(
                documents=len(docs) - len(retry), inserted=details.get("nInserted", 0)
            )
            return done + _counts(self.collection.bulk_write(retry, ordered=False), len(retry))

    def _write_replacing(
        self, ops: list[InsertOne | ReplaceOne], docs: list[dict], keys: tuple[str, ...]
    ) -> WriteCounts:
        """Unordered bulk write; inserts that hit an existing key are retried as upserts."""
        try:
            return _counts(self.collection.bulk_write(ops, ordered=False), len(ops))
        except BulkWriteError as exc:
            details = exc.details
            retry = _duplicates_as_upserts(
                exc, docs, keys, lambda index: isinstance(ops[index], InsertOne)
            )
            done = WriteCounts(
                documents=len(ops) - len(retry),
                inserted=details.get("nInserted", 0) + details.get("nUpserted", 0),
                matched=details.get("nMatched", 0),
                modified=details.get("nModified", 0),
            )
            return done + _counts(self.collection.bulk_write(retry, ordered=False), len(retry))

    # -- reads ------------------------------------------------------------------------------

    def find(
        self,
        filter: Mapping[str, Any] | None = None,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int | None = None,
        projection: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        cursor = self.collection.find(dict(filter or {}), projection=projection)
        if sort:
            cursor = cursor.sort(list(sort))
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    def count(self, filter: Mapping[str, Any] | None = None) -> int:
        return self.collection.count_documents(dict(filter or {}))

    def partition_documents(
        self, partition_value: Any, partition_field: str = "partition"
    ) -> list[dict]:
        """A partition's documents without the bookkeeping fields, in key order."""
        sort = [(k, 1) for k in self._keys(None)] if self.spec else None
        return self.find(
            {partition_field: _bson_value(partition_value)},
            sort=sort,
            projection={WRITE_ID: 0},
        )

    def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self.collection.aggregate(pipeline))
