"""Translation engine: texts/s through batching and bounded concurrency, against a local API.

    .venv/bin/python benchmarks/translation_engine.py [--texts 1000] [--latency-ms 20]

The server is the LibreTranslate stand-in of the test suite (threaded `http.server` on
127.0.0.1) with a fixed added latency per request, standing in for a remote API's round trip.
The baseline, measured in the same run against the same server, is the obvious client: one
request per text, one at a time. The engine then runs with the backend's default batch (50
texts) at concurrency 1 and 4. All runs translate the same distinct texts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics_assets.defs.translation.backends.base import BatchLimits  # noqa: E402
from analytics_assets.defs.translation.backends.libretranslate import (  # noqa: E402
    DEFAULT_LIMITS,
    LibreTranslateTranslator,
)
from analytics_assets.defs.translation.engine import TranslationEngine  # noqa: E402
from analytics_assets_tests.fixtures.translation_servers import (  # noqa: E402
    LibreTranslateServer,
)


def items(n: int) -> pl.DataFrame:
    texts = [
        f"Ich habe am {i}. Tag eine Einzahlung gemacht, aber sie ist nicht da." for i in range(n)
    ]
    return pl.DataFrame({"key": [str(i) for i in range(n)], "text": texts, "source": ["de"] * n})


def timed(server: LibreTranslateServer, limits: BatchLimits, concurrency: int, frame: pl.DataFrame):  # type: ignore[no-untyped-def]
    translator = LibreTranslateTranslator(server.url, limits=limits)
    engine = TranslationEngine(translator, "en", max_concurrency=concurrency)
    before = len(server.requests)
    start = time.perf_counter()
    result = engine.translate(frame)
    seconds = time.perf_counter() - start
    translator.close()
    assert (result["status"] == "translated").all(), "every text must come back translated"
    return seconds, len(server.requests) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    server = LibreTranslateServer().start()
    server.latency_s = args.latency_ms / 1000
    frame = items(args.texts)
    try:
        runs = [
            ("baseline: 1 text per request, sequential", BatchLimits(1, 10_000), 1),
            ("engine: batches of 50, concurrency 1", DEFAULT_LIMITS, 1),
            ("engine: batches of 50, concurrency 4", DEFAULT_LIMITS, 4),
        ]
        results = [(name, *timed(server, limits, c, frame)) for name, limits, c in runs]
    finally:
        server.stop()
    base = results[0][1]
    print(f"## Translation engine ({args.texts:,} texts, {args.latency_ms:g} ms per request)\n")
    print("| client | requests | seconds | texts/s | ratio |")
    print("|---|---|---|---|---|")
    for name, seconds, requests in results:
        print(
            f"| {name} | {requests:,} | {seconds:.2f} | {args.texts / seconds:,.0f} "
            f"| {base / seconds:.1f}x |"
        )


if __name__ == "__main__":
    main()
