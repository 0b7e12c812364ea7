"""The categorization engine: topic, intent and sentiment for chat messages, scored with JAX.

`categorize(texts)` is the public entry point (asset, CLI, outside evaluation). It uses one
process-wide `Categorizer` configured from the environment (`CATEGORIZER_TAXONOMY`,
`CATEGORIZER_WEIGHTS`, `SCORING_DEVICE`, `SCORING_BATCH_SIZE`); build a `Categorizer` yourself
for any other configuration. See docs/categorization.md.
"""

from __future__ import annotations

import os
from functools import lru_cache

import polars as pl

from analytics_assets.scoring.engine import DEFAULT_BATCH_ROWS, RESULT_SCHEMA, Categorizer

__all__ = ["RESULT_SCHEMA", "Categorizer", "categorize", "default_categorizer"]


@lru_cache(maxsize=4)
def _cached(taxonomy: str, device: str, weights: str, batch_rows: int) -> Categorizer:
    return Categorizer(
        taxonomy_path=taxonomy or None,
        device=device or None,
        weights_path=weights or None,
        batch_rows=batch_rows,
    )


def default_categorizer() -> Categorizer:
    """The categorizer the environment describes, built once per configuration."""
    raw_batch = os.environ.get("SCORING_BATCH_SIZE", "").strip()
    try:
        batch_rows = int(raw_batch) if raw_batch else DEFAULT_BATCH_ROWS
    except ValueError as exc:
        raise ValueError(f"SCORING_BATCH_SIZE must be an integer, got {raw_batch!r}") from exc
    return _cached(
        os.environ.get("CATEGORIZER_TAXONOMY", "").strip(),
        os.environ.get("SCORING_DEVICE", "").strip(),
        os.environ.get("CATEGORIZER_WEIGHTS", "").strip(),
        batch_rows,
    )


def categorize(texts: list[str] | pl.Series) -> pl.DataFrame:
    """Topic, intent and sentiment of each text, one row per text in input order.

    Columns: `topic`, `topic_confidence`, `intent`, `intent_confidence`, `sentiment`
    (positive | negative | neutral | mixed), `sentiment_score` in [-1, 1]. Never raises on odd
    input: empty, whitespace, emoji-only, garbage and very long texts all get labels.
    """
    return default_categorizer().categorize(texts)
