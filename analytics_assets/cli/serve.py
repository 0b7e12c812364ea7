"""`analytics-assets serve [--host H] [--port P]`: the HTTP API and dashboard on uvicorn.

Same settings as the pipeline (lake, MongoDB or the embedded server, pseudonym key), so after
`make run` it serves that run's data with nothing else to start. `API_HOST` / `API_PORT` are
the defaults of the flags. One process: the lake cache lives in memory, so several workers
would each hold their own copy (put several processes behind a proxy to scale out).
"""

from __future__ import annotations

import argparse
import logging
import sys


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    from analytics_assets.api.app import create_app
    from analytics_assets.settings import get_settings

    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"serve: invalid settings: {exc}", file=sys.stderr)
        return 2
    host = args.host or settings.api_host
    port = args.port if args.port is not None else settings.api_port
    if not 0 < port < 65536:
        print(f"serve: --port must be 1-65535, got {port}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    app = create_app(settings=settings)
    print(f"serving the API on http://{host}:{port} (docs at /docs, dashboard at /)", flush=True)
    # access_log off: the app logs one line per request with its request id instead.
    uvicorn.run(app, host=host, port=port, log_level=args.log_level, access_log=False)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the HTTP API and the dashboard",
        description="Serve /v1 (OpenAPI at /openapi.json, docs at /docs) and the dashboard at /.",
    )
    parser.add_argument("--host", default="", help="address to listen on (default: API_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port (default: API_PORT)")
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    parser.set_defaults(handler=run_serve)
