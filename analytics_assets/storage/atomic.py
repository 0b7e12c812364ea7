"""Atomic Parquet file writes on a local disk or an object store (fsspec).

Why a module of its own: "a reader never sees a half-written partition, and a crash leaves the
old data in place" is the one storage guarantee every asset relies on, so it lives in one small
place with its own tests.

How the guarantee is given:

* **Local disk.** The frame is written to a hidden temporary file beside the target
  (`.part-0.parquet.<uuid>.tmp`, same directory, so the same filesystem), flushed and
  `fsync`ed, then moved over the target with `os.replace` (an atomic `rename(2)` on POSIX),
  and the directory is `fsync`ed so the rename itself survives a power cut. A reader opens
  either the old file or the new one, never a mix. A crash before the rename leaves the old
  file untouched plus a hidden temp file that readers ignore (its name neither starts like a
  data file nor ends in `.parquet`) and that the next write of that partition removes.
  That clean-up must not take a temp file another writer of the same partition is still
  writing (two runs of one partition at once, or a celery retry beside a slow first try):
  each temp name carries its writer (a hash of the host name and the pid), and
  `remove_siblings` takes a temp file only when its writer is known dead (same host, pid
  gone) or, for a writer on another host it cannot ask, when the file has not been touched
  for `TEMP_STALE_AFTER_S`.
* **S3 and other object stores** replace an object atomically on PUT: a GET returns the whole
  old object or the whole new one, never part of either, and a multipart upload becomes visible
  only when it completes. So the frame is written to a local spool file (where it can be
  streamed and its footer read) and uploaded straight to the target key: no temporary key, no
  server-side copy. A crash or failed upload leaves the old object (an S3 lifecycle rule that
  aborts incomplete multipart uploads cleans their parts). What S3 does *not* give is
  atomicity across several objects: a multi-partition write replaces partitions one by one,
  each whole.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

# Temporary names start with "." (hidden from pyarrow/polars dataset discovery and from
# `*.parquet` globs) and end in ".tmp" (never mistaken for a data file).
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
# A temp file of a writer on another host (a shared filesystem) is only taken as abandoned
# once nothing has written to it for this long: far longer than any one partition write.
TEMP_STALE_AFTER_S = 3600.0
# `.<target>.w<pid>-<host hash>-<uuid>.tmp`
_OWNER = re.compile(r"\.w(?P<pid>\d+)-(?P<host>[0-9a-f]{8})-[0-9a-f]+\.tmp$")


@dataclass(frozen=True)
class ParquetWriteOptions:
    """How every lake file is encoded (see docs/storage.md for the reasoning)."""

    compression: str = "zstd"
    compression_level: int = 3
    row_group_size: int = 131_072
    statistics: bool = True


@dataclass(frozen=True)
class WrittenFile:
    """What a completed atomic write produced, read back from the file's own footer."""

    path: str
    rows: int
    bytes: int
    row_groups: int


def is_local(fs: AbstractFileSystem) -> bool:
    return isinstance(fs, LocalFileSystem)


def host_hash() -> str:
    """This host, as a short stable tag (the host name itself stays out of names and docs)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def temp_name(target_name: str) -> str:
    """Hidden, unique name for the temporary file of one write of `target_name`, naming its
    writer (pid and host hash) so a concurrent clean-up can tell whether it is still alive."""
    owner = f"w{os.getpid()}-{host_hash()}-{uuid.uuid4().hex[:16]}"
    return f"{TEMP_PREFIX}{target_name}.{owner}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` of this host exists (a reused pid reads as alive: the safe side)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def temp_is_abandoned(name: str, mtime: float | None, now: float | None = None) -> bool:
    """Whether the temp file `name` (last modified at `mtime`, epoch seconds) may be deleted.

    * written by a process of this host: abandoned exactly when that pid is gone;
    * written on another host: abandoned when untouched for `TEMP_STALE_AFTER_S` (its pid
      cannot be asked from here);
    * a temp name without a writer (not written by this module): abandoned.
    """
    match = _OWNER.search(name)
    if match is None:
        return True
    if match["host"] == host_hash():
        return not pid_alive(int(match["pid"]))
    if mtime is None:
        return False
    return (now if now is not None else time.time()) - mtime > TEMP_STALE_AFTER_S


def _write_local_file(frame: pl.DataFrame | pl.LazyFrame, path: str, opts: ParquetWriteOptions):
    kwargs = {
        "compression": opts.compression,
        "compression_level": opts.compression_level,
        "statistics": opts.statistics,
        "row_group_size": opts.row_group_size,
    }
    if isinstance(frame, pl.LazyFrame):
        # Streams: a large lazy output never has to sit in memory whole.
        frame.sink_parquet(path, **kwargs)
    else:
        frame.write_parquet(path, **kwargs)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # platforms without directory fds: the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _footer(path: str) -> tuple[int, int]:
    meta = pq.read_metadata(path)
    return meta.num_rows, meta.num_row_groups


def write_parquet_atomic(
    frame: pl.DataFrame | pl.LazyFrame,
    fs: AbstractFileSystem,
    target: str,
    opts: ParquetWriteOptions | None = None,
) -> WrittenFile:
    """Write `frame` to `target` (a path in `fs`) so that readers see the old or new file only.

    On any failure the temporary file/key is removed and the target is left as it was.
    """
    opts = opts or ParquetWriteOptions()
    parent, _, name = target.rpartition("/")
    fs.makedirs(parent, exist_ok=True)
    if is_local(fs):
        return _write_local(frame, parent, name, target, opts)
    return _write_remote(frame, fs, target, opts)


def _write_local(
    frame: pl.DataFrame | pl.LazyFrame,
    parent: str,
    name: str,
    target: str,
    opts: ParquetWriteOptions,
) -> WrittenFile:
    tmp = f"{parent}/{temp_name(name)}"
    try:
        _write_local_file(frame, tmp, opts)
        rows, groups = _footer(tmp)
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(parent)
    return WrittenFile(target, rows, os.path.getsize(target), groups)


def _write_remote(
    frame: pl.DataFrame | pl.LazyFrame,
    fs: AbstractFileSystem,
    target: str,
    opts: ParquetWriteOptions,
) -> WrittenFile:
    fd, spool = tempfile.mkstemp(prefix="analytics-parquet-", suffix=".parquet")
    os.close(fd)
    try:
        _write_local_file(frame, spool, opts)
        rows, groups = _footer(spool)
        size = os.path.getsize(spool)
        fs.put_file(spool, target)  # one atomic PUT (multipart for large files)
    finally:
        Path(spool).unlink(missing_ok=True)
    return WrittenFile(target, rows, size, groups)


def remove_siblings(fs: AbstractFileSystem, directory: str, keep: Iterable[str]) -> list[str]:
    """Delete every file in `directory` except `keep` (stale parts, abandoned temp files).

    Called after a partition's file was replaced, so that "re-materializing replaces the
    partition whole" also holds for readers that scan the directory rather than one file.
    Temp files of writers that may still be writing are left alone (`temp_is_abandoned`):
    deleting one would make that writer's rename fail. Returns the removed paths.
    """
    keep_names = {k.rpartition("/")[2] for k in keep}
    fs.invalidate_cache(directory)
    try:
        entries = fs.ls(directory, detail=True)
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        path = entry["name"].rstrip("/")
        name = path.rpartition("/")[2]
        if entry.get("type") == "directory" or name in keep_names:
            continue
        if is_temp_name(name) and not temp_is_abandoned(name, _mtime(entry)):
            continue
        try:
            fs.rm_file(path)
        except FileNotFoundError:  # its writer renamed or removed it meanwhile
            continue
        removed.append(path)
    if removed:
        fs.invalidate_cache(directory)
    return removed


def _mtime(entry: dict) -> float | None:
    """Last modification of an `fs.ls(detail=True)` entry, in epoch seconds, when known."""
    value = entry.get("mtime", entry.get("LastModified"))
    if value is None:
        return None
    return value.timestamp() if hasattr(value, "timestamp") else float(value)
