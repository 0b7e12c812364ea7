"""`analytics-assets`: the command line of the platform.

Each sub-command lives in its own module with a `register(subparsers)` function that adds its
parser and sets `handler`; this module only collects them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

# Modules providing sub-commands, in the order `--help` lists them.
COMMAND_MODULES = [
    "analytics_assets.cli.run",
    "analytics_assets.cli.report",
    "analytics_assets.cli.errors",
    "analytics_assets.cli.fit",
    "analytics_assets.cli.worker",
    "analytics_assets.cli.serve",
    "analytics_assets.cli.api_key",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="analytics-assets",
        description="Conversation analytics on Dagster: run the pipeline, read reports and errors.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Dagster flags beta/preview APIs on every import; the CLI's users cannot act on that.
    from dagster import BetaWarning, PreviewWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
