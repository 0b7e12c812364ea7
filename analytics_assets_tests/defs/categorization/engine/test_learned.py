"""Learned weights: the class-weight exponent, and weights fitted for another feature layout."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest

from analytics_assets.defs.categorization.engine import Categorizer
from analytics_assets.defs.categorization.engine.learned import fit_softmax, fit_task, save


def test_class_balance_exponent_sets_the_weight_of_rare_classes() -> None:
    """With uninformative inputs only the bias is learned: the rare class's probability is its
    share (exponent 0), one half (fully balanced, exponent 1), or in between."""
    y = np.asarray([0] * 18 + [1] * 2, np.int32)
    dense = np.zeros((20, 1), np.float32)
    ids = np.zeros((20, 4), np.int32)
    w = np.zeros((20, 4), np.float32)
    rare = {}
    for balance in (0.0, 0.5, 1.0):
        params, _ = fit_softmax(
            dense, ids, w, y, 2, hash_bits=4, steps=300, l2=0.0, class_balance=balance
        )
        rare[balance] = float(jax.nn.softmax(params["b"])[1])
    assert rare[0.0] == pytest.approx(0.1, abs=0.02)
    assert rare[1.0] == pytest.approx(0.5, abs=0.02)
    assert rare[0.0] < rare[0.5] < rare[1.0]


def test_weights_for_another_feature_layout_are_refused(tmp_path: Path) -> None:
    cat = Categorizer(device="cpu")
    texts = ["great, thanks", "awful service", "the id is 4411"] * 4
    labels = ["positive", "negative", "neutral"] * 4
    path = tmp_path / "weights.npz"
    save(fit_task(cat, texts, labels, "sentiment", steps=20), path)
    learned = Categorizer(device="cpu", weights_path=path)
    assert learned.categorize(["awful service"])["sentiment"][0] == "negative"

    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["sentiment/W"] = arrays["sentiment/W"][:-1]  # one rule feature fewer
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="rule features"):
        Categorizer(device="cpu", weights_path=path)
