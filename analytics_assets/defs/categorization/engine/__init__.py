"""The categorization engine: topic, intent and sentiment for chat messages, scored with JAX.

`categorize(texts)` is the public entry point (benchmarks, outside evaluation): one
process-wide `Categorizer` with the packaged taxonomy on the best device. The pipeline's
configured engine (`CATEGORIZER_TAXONOMY`, `CATEGORIZER_WEIGHTS`, `SCORING_DEVICE`, ...) comes
from `ScoringResource`; this package reads no settings. See docs/categorization.md.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from analytics_assets.defs.categorization.engine.engine import RESULT_SCHEMA, Categorizer

__all__ = [
    "RESULT_SCHEMA",
    "Categorizer",
    "categorize",
    "default_categorizer",
    "get_categorizer",
]


@lru_cache(maxsize=4)
def _cached(
    taxonomy: str, device: str, weights: str, batch_rows: int, compile_cache: str
) -> Categorizer:
    """One categorizer per configuration and process (vocabulary loaded, kernels compiled)."""
    return Categorizer(
        taxonomy_path=taxonomy or None,
        device=device or None,
        # Empty: the packaged learned weights (packaged taxonomy); "none": the rules alone.
        weights_path=None if weights in ("", "none") else weights,
        use_packaged_weights=weights != "none",
        batch_rows=batch_rows,
        compile_cache=compile_cache or None,
    )


def get_categorizer(
    taxonomy: str = "",
    device: str = "auto",
    weights: str = "",
    batch_rows: int = 2048,
    compile_cache: str = "",
) -> Categorizer:
    """The process-wide categorizer for this configuration (empty paths: packaged defaults;
    empty `compile_cache`: the default cache folder)."""
    return _cached(taxonomy, device, weights, batch_rows, compile_cache)


def default_categorizer() -> Categorizer:
    """The packaged taxonomy and rules on the best device, built once per process."""
    return get_categorizer()


def categorize(texts: list[str] | pl.Series) -> pl.DataFrame:
    """Topic, intent and sentiment of each text, one row per text in input order.

    Columns: `topic`, `topic_confidence`, `intent`, `intent_confidence`, `sentiment`
    (positive | negative | neutral | mixed), `sentiment_score` in [-1, 1]. Never raises on odd
    input: empty, whitespace, emoji-only, garbage and very long texts all get labels.
    """
    return default_categorizer().categorize(texts)
