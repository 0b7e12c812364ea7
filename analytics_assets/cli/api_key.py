"""`analytics-assets api-key create|list|revoke`: manage the HTTP API's keys.

    analytics-assets api-key create --name support-dashboard --scope read
    analytics-assets api-key list
    analytics-assets api-key revoke KEY_ID

`create` prints the key once (only its SHA-256 digest is stored, in MongoDB `api_keys`);
`list` shows ids, names, scopes and whether a key was revoked, never a key or digest.
"""

from __future__ import annotations

import argparse
import sys

from analytics_assets.storage.mongo.api_keys import SCOPES


def _repo():
    from analytics_assets.storage.mongo import MongoResource
    from analytics_assets.storage.mongo.api_keys import ApiKeysRepository

    repo = ApiKeysRepository(MongoResource.from_settings(outside_dagster=True).db())
    repo.ensure_indexes()
    return repo


def run_create(args: argparse.Namespace) -> int:
    try:
        key, doc = _repo().create(args.name, args.scope)
    except ValueError as exc:
        print(f"api-key create: {exc}", file=sys.stderr)
        return 2
    print(key)
    print(
        f"created key {doc['key_id']} ({doc['scope']}) for {doc['name']!r}: shown once, "
        "store it now",
        file=sys.stderr,
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    keys = _repo().list()
    if not keys:
        print("no API keys (create one with `analytics-assets api-key create`)")
        return 0
    print(f"{'key_id':<14}{'scope':<7}{'created':<22}{'revoked':<22}name")
    for k in keys:
        created = k["created_at"].strftime("%Y-%m-%d %H:%M:%S")
        revoked = k["revoked_at"].strftime("%Y-%m-%d %H:%M:%S") if k.get("revoked_at") else "-"
        print(f"{k['key_id']:<14}{k['scope']:<7}{created:<22}{revoked:<22}{k['name']}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    if _repo().revoke(args.key_id):
        print(f"revoked {args.key_id}")
        return 0
    print(f"api-key revoke: no active key with id {args.key_id!r}", file=sys.stderr)
    return 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "api-key", help="create, list or revoke HTTP API keys", description=__doc__.split("\n")[0]
    )
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.add_argument("--scope", default="read", choices=SCOPES)
    create.set_defaults(handler=run_create)
    listing = actions.add_parser("list", help="list keys (ids, scopes, revoked or not)")
    listing.set_defaults(handler=run_list)
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=run_revoke)
