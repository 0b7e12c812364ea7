"""Fingerprint of a pipeline's output, to show that a change left the data as it was.

    mkdir -p /tmp/a/home && cp dagster.yaml /tmp/a/home/
    ANALYTICS_DATA_DIR=/tmp/a/data DAGSTER_HOME=/tmp/a/home \
        .venv/bin/analytics-assets run --days 7 --today 2026-11-20
    .venv/bin/python benchmarks/lake_fingerprint.py /tmp/a/data > a.json  # server still up
    .venv/bin/python benchmarks/lake_fingerprint.py --compare a.json b.json

Tables: a hash of every Parquet file's rows (floats rounded to 9 digits, wall-clock columns
dropped); MongoDB: a hash per collection of its sorted documents (ObjectIds and wall-clock
fields dropped). Two runs of the same code differ only in those fields (language confidences
by ~1e-15, first/last-seen times), so anything else that differs is a real change.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import sys
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
NOW = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def norm(v: Any) -> Any:
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


def fingerprint(data_dir: Path, uri: str | None) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"tables": {}, "mongo": {}}
    lake = data_dir / "lake"
    for p in sorted(lake.rglob("*.parquet")):
        rows = [norm(r) for r in pq.read_table(p).to_pylist()]
        digest = hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode())
        out["tables"][str(p.relative_to(lake))] = f"{digest.hexdigest()[:16]} rows={len(rows)}"
    state = data_dir / "mongo" / "server.json"
    if uri is None and state.exists():
        st = json.loads(state.read_text())
        uri = f"mongodb://{st['host']}:{st['port']}"
    if uri:
        db = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)["conversation_analytics"]
        for name in sorted(db.list_collection_names()):
            docs = sorted(json.dumps(norm(d), default=str, sort_keys=True) for d in db[name].find())
            digest = hashlib.sha256("\n".join(docs).encode()).hexdigest()[:16]
            out["mongo"][name] = f"{digest} n={len(docs)}"
    return out


def compare(a: dict[str, dict[str, str]], b: dict[str, dict[str, str]]) -> int:
    bad = 0
    for kind in ("tables", "mongo"):
        diff = sorted(x for x in set(a[kind]) | set(b[kind]) if a[kind].get(x) != b[kind].get(x))
        bad += len(diff)
        print(kind, len(a[kind]), "vs", len(b[kind]), "diffs", len(diff), diff[:10])
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        loaded = [json.loads(Path(p).read_text()) for p in sys.argv[2:4]]
        sys.exit(compare(*loaded))
    print(
        json.dumps(
            fingerprint(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None), indent=1
        )
    )
