"""The categorization engine: topic, intent and sentiment for chat messages, scored with JAX.

`categorize(texts)` is the public entry point (asset, CLI, outside evaluation). It uses one
process-wide `Categorizer` configured from the environment (`CATEGORIZER_TAXONOMY`,
`CATEGORIZER_WEIGHTS`, `SCORING_DEVICE`, `SCORING_BATCH_SIZE`); build a `Categorizer` yourself
for any other configuration. See docs/categorization.md.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from analytics_assets.defs.categorization.engine.engine import RESULT_SCHEMA, Categorizer
from analytics_assets.settings import scoring_settings

__all__ = [
    "RESULT_SCHEMA",
    "Categorizer",
    "categorize",
    "default_categorizer",
    "get_categorizer",
]


@lru_cache(maxsize=4)
def _cached(taxonomy: str, device: str, weights: str, batch_rows: int) -> Categorizer:
    """One categorizer per configuration and process (vocabulary loaded, kernels compiled)."""
    return Categorizer(
        taxonomy_path=taxonomy or None,
        device=device or None,
        weights_path=weights or None,
        batch_rows=batch_rows,
    )


def get_categorizer(
    taxonomy: str = "", device: str = "auto", weights: str = "", batch_rows: int = 2048
) -> Categorizer:
    """The process-wide categorizer for this configuration (empty paths: packaged defaults)."""
    return _cached(taxonomy, device, weights, batch_rows)


def default_categorizer() -> Categorizer:
    """The categorizer the environment describes (`settings.scoring_settings`), built once."""
    cfg = scoring_settings()
    return _cached(cfg.taxonomy_path, cfg.device, cfg.weights_path, cfg.batch_size)


def categorize(texts: list[str] | pl.Series) -> pl.DataFrame:
    """Topic, intent and sentiment of each text, one row per text in input order.

    Columns: `topic`, `topic_confidence`, `intent`, `intent_confidence`, `sentiment`
    (positive | negative | neutral | mixed), `sentiment_score` in [-1, 1]. Never raises on odd
    input: empty, whitespace, emoji-only, garbage and very long texts all get labels.
    """
    return default_categorizer().categorize(texts)
