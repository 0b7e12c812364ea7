"""Learned weights: the class-weight exponent, and weights fitted for another feature layout."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import polars as pl
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
    cat = Categorizer(device="cpu", use_packaged_weights=False)
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


def test_scoring_sees_the_features_the_fit_saw() -> None:
    """The engine hashes tokens inside its own sliced, deduplicated pipeline; the fit lays the
    same features out padded. Both must give the same logits, or fitted weights mean nothing."""
    from analytics_assets.defs.categorization.engine.learned import text_features
    from analytics_assets.defs.categorization.engine.weights import LearnedWeights, logits

    cat = Categorizer(device="cpu", use_packaged_weights=False)
    texts = ["great, thanks", "awful service!!", "ไม่ได้รับเงิน ช่วยด้วย", "", "ok ok ok"] * 3
    labels = ["positive", "negative", "negative", "neutral", "neutral"] * 3
    result = fit_task(cat, texts, labels, "sentiment", steps=30)

    weights = LearnedWeights({"sentiment": result.arrays()}, cat.vocab)
    cat.weights = weights
    scores = cat.raw_scores(texts)
    assert scores.hashed is not None
    ids, w = text_features(cat, pl.Series(texts))
    zero = np.zeros_like(result.params["W"])
    expected = np.asarray(
        logits(
            {**result.params, "W": zero, "b": np.zeros_like(result.params["b"])},
            np.zeros((len(texts), zero.shape[0]), np.float32),
            ids,
            w,
        )
    )
    np.testing.assert_allclose(scores.hashed, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(expected).sum() > 0


def test_temperature_tempers_overconfident_logits() -> None:
    from analytics_assets.defs.categorization.engine.learned import calibrate_temperature

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    logit = np.zeros((400, 3), np.float32)
    right = rng.random(400) < 0.6  # 60% right, each with a logit margin of 10 (overconfident)
    logit[np.arange(400), np.where(right, y, (y + 1) % 3)] = 10.0
    assert calibrate_temperature(logit, y) > 2.0
    assert calibrate_temperature(logit / 40.0, y) < 1.0  # underconfident: sharpened


def test_weights_of_another_token_hash_are_refused(tmp_path: Path) -> None:
    cat = Categorizer(device="cpu", use_packaged_weights=False)
    path = tmp_path / "weights.npz"
    save(
        fit_task(cat, ["good", "bad"] * 3, ["positive", "negative"] * 3, "sentiment", steps=5), path
    )
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["sentiment/hash_probe"] = np.asarray(int(arrays["sentiment/hash_probe"]) + 1)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="token hash"):
        Categorizer(device="cpu", weights_path=path)
    del arrays["sentiment/features"]
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="features"):
        Categorizer(device="cpu", weights_path=path)


def test_packaged_weights_are_the_default_for_the_packaged_taxonomy() -> None:
    from analytics_assets.defs.categorization.engine.engine import PACKAGED_WEIGHTS

    if not PACKAGED_WEIGHTS.exists():
        pytest.skip("no packaged weights in this build")
    assert Categorizer(device="cpu").weights is not None
    assert Categorizer(device="cpu", use_packaged_weights=False).weights is None
    from analytics_assets.defs.categorization.engine import get_categorizer

    # CATEGORIZER_WEIGHTS: empty = packaged, "none" = the rules alone.
    assert get_categorizer(device="cpu", weights="none").weights is None
    assert get_categorizer(device="cpu").weights is not None
