"""`python -m analytics_assets.storage.mongo {schema,stop,status}`: operate the MongoDB layer.

* `schema`: apply collections, validators and indexes to the configured database now and print
  what changed as JSON (`{"created": [], ...}` all empty on a second run), so a start script
  can set up MongoDB before the first run and show that a re-run changes nothing.
* `stop`: stop the embedded server under `MONGO_EMBEDDED_PATH` (no-op with `MONGODB_URI`).
* `status`: whether MongoDB answers; for the embedded server also its pid and URI (a
  `MONGODB_URI` is never printed: it may hold a password).

Settings come from the environment / `.env` like everywhere else (`settings.get_settings`).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from analytics_assets.settings import get_settings
from analytics_assets.storage.mongo import embedded
from analytics_assets.storage.mongo.client import MongoResource


def _resource() -> MongoResource:
    settings = get_settings()
    return MongoResource(
        uri=settings.mongodb_uri,
        database=settings.mongodb_database,
        embedded_path=settings.mongo_embedded_path,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics_assets.storage.mongo")
    parser.add_argument("command", choices=["schema", "stop", "status"])
    args = parser.parse_args(argv)
    resource = _resource()
    if args.command == "schema":
        changes = resource.ensure_schema()
        print(json.dumps({"database": resource.database, **asdict(changes)}, indent=2))
        return 0
    if args.command == "stop":
        if not resource.is_embedded:
            print("MONGODB_URI is set: nothing to stop")
            return 0
        stopped = embedded.stop_server(resource.resolved_embedded_path())
        print("stopped" if stopped else "not running")
        return 0
    if resource.is_embedded:
        state = embedded.live_server(resource.resolved_embedded_path())
        if state is None:
            print(f"embedded server not running ({resource.resolved_embedded_path()})")
            return 1
        print(f"embedded server pid {state.pid} at {state.uri}")
        return 0
    ok = embedded.ping(resource.uri, timeout_ms=5000)
    print("MONGODB_URI answers ping" if ok else "MONGODB_URI does not answer")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
