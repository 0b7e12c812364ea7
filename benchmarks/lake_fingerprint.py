"""Fingerprint of a pipeline's output, to show that a change left the data as it was.

    mkdir -p /tmp/a/home && cp dagster.yaml /tmp/a/home/
    ANALYTICS_DATA_DIR=/tmp/a/data DAGSTER_HOME=/tmp/a/home \
        .venv/bin/analytics-assets run --days 7 --today 2026-11-20
    .venv/bin/python benchmarks/lake_fingerprint.py /tmp/a/data > a.json  # server still up
    .venv/bin/python benchmarks/lake_fingerprint.py --compare a.json b.json

What is hashed and what is left out: `analytics_assets/storage/fingerprint.py` (the one
implementation, shared with the kill-and-rerun test). An optional third argument names the
MongoDB database (default `conversation_analytics`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from analytics_assets.storage.fingerprint import compare, fingerprint

__all__ = ["compare", "fingerprint"]

if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        loaded = [json.loads(Path(p).read_text()) for p in sys.argv[2:4]]
        sys.exit(compare(*loaded))
    uri = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    database = sys.argv[3] if len(sys.argv) > 3 else "conversation_analytics"
    print(json.dumps(fingerprint(Path(sys.argv[1]), uri, database), indent=1))
