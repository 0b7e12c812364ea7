"""Fingerprint of a pipeline's output, to show that two runs left the same data behind.

One implementation for every check that compares outputs: `benchmarks/lake_fingerprint.py`
(a change left the data as it was; scale-out modes agree) and the kill-and-rerun test
(`analytics_assets_tests/reliability/test_kill_rerun.py`: a run SIGKILLed part-way and run
again ends where a clean run ends).

Tables: a hash of every Parquet file's rows (floats rounded to 9 digits, wall-clock columns
dropped); files: every file name under the lake, so a leftover temporary file or a stray
partition shows; MongoDB: a hash per collection of its sorted documents (ObjectIds and
wall-clock fields dropped). Two runs of the same code differ only in those fields (language
confidences by ~1e-15, first/last-seen times), so anything else that differs is a real change.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pymongo
from bson import ObjectId

VOLATILE = {
    "first_seen",
    "last_seen",
    "html_path",
    "updated_at",
    "written_at",
    "generated_at",
    "computed_at",
    "write_id",
    "_write_id",
    "resolved_at",
    "materialized_at",
    "last_updated",
}
KINDS = ("tables", "files", "mongo")
Fingerprint = dict[str, dict[str, str]]
NOW = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def norm(v: Any) -> Any:
    """`v` without what differs between two runs of the same code (see the module text)."""
    if isinstance(v, float):
        return round(v, 9)
    if isinstance(v, dict):
        return {
            k: norm(x) for k, x in v.items() if k not in VOLATILE and not isinstance(x, ObjectId)
        }
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, datetime.datetime):
        n = v.replace(tzinfo=None)
        return "<now>" if abs((n - NOW).total_seconds()) < 86400 * 2 else n.isoformat()
    return v


def embedded_uri(data_dir: Path) -> str | None:
    """The URI of the embedded server under `data_dir/mongo`, if it recorded one."""
    state = data_dir / "mongo" / "server.json"
    if not state.exists():
        return None
    st = json.loads(state.read_text())
    return f"mongodb://{st['host']}:{st['port']}/?directConnection=true"


def fingerprint(
    data_dir: Path, uri: str | None, database: str = "conversation_analytics"
) -> Fingerprint:
    """Hashes of the lake under `data_dir/lake` and of `database` (at `uri`, else the embedded
    server under `data_dir/mongo`; no MongoDB part when neither answers to a name)."""
    out: Fingerprint = {kind: {} for kind in KINDS}
    lake = data_dir / "lake"
    for p in sorted(lake.rglob("*")):
        if p.is_file():
            out["files"][str(p.relative_to(lake))] = "present"
    for p in sorted(lake.rglob("*.parquet")):
        rows = [norm(r) for r in pq.read_table(p).to_pylist()]
        digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode())
        out["tables"][str(p.relative_to(lake))] = f"{digest.hexdigest()[:16]} rows={len(rows)}"
    uri = uri or embedded_uri(data_dir)
    if uri:
        client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)
        try:
            db = client[database]
            for name in sorted(db.list_collection_names()):
                docs = sorted(
                    json.dumps(norm(d), default=str, sort_keys=True) for d in db[name].find()
                )
                digest = hashlib.sha256("\n".join(docs).encode()).hexdigest()[:16]
                out["mongo"][name] = f"{digest} n={len(docs)}"
        finally:
            client.close()
    return out


def differences(a: Fingerprint, b: Fingerprint) -> dict[str, list[str]]:
    """Per kind, the names whose hash differs or that only one side has."""
    out = {}
    for kind in KINDS:
        left, right = a.get(kind, {}), b.get(kind, {})
        out[kind] = sorted(x for x in set(left) | set(right) if left.get(x) != right.get(x))
    return out


def compare(a: Fingerprint, b: Fingerprint) -> int:
    """Print the differences per kind; 1 when there is any, else 0 (an exit status)."""
    diffs = differences(a, b)
    for kind in KINDS:
        diff = diffs[kind]
        print(kind, len(a.get(kind, {})), "vs", len(b.get(kind, {})), "diffs", len(diff), diff[:10])
    return 1 if any(diffs.values()) else 0
