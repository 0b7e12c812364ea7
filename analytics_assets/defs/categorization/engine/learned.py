"""Learned weights: softmax regression over the rule features, fitted with Adam written in JAX.

Why: the packaged lexicons and term weights are general; a team with its own labeled chats can
fit weights that fit its traffic (`analytics-assets fit-categorizer`), and the asset uses them
when `CATEGORIZER_WEIGHTS` points at the file.

Features of a text (the same for fitting and scoring):

* lexicon features: the rule engine's raw topic scores, intent scores and sentiment features
  (total valence, positive and negative mass, compound score, '!' and '?' counts, and how the
  evidence is spread: polar hit counts, strongest positive and negative valence, emoticon
  sign, negated hits, contrast, log length; `kernels.SENT_COLUMNS`), scaled by the training
  set's standard deviation;
* hashed word unigrams and bigrams and character trigrams (these cover Thai and unseen
  spellings), `2**hash_bits` buckets, built in Polars (lowercase, regex split, explode, hash),
  each present feature weighted 1/sqrt(number of features of the text).

Model: logits = dense @ W + sum of embedding rows E[hashed ids] + b; cross-entropy with L2,
full-batch Adam (`jax.jit` over the whole step). One `.npz` holds one set of arrays per task
(`sentiment`, `topic`, `intent`); fitting a task into an existing file keeps the other tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl

from analytics_assets.defs.categorization.engine.engine import Categorizer
from analytics_assets.defs.categorization.engine.tokenize import as_text_series
from analytics_assets.defs.categorization.engine.weights import (
    HASH_BITS,
    LearnedWeights,
    dense_features,
    hashed_features,
    logits,
    predict,
    task_classes,
)


def fit_softmax(
    dense: np.ndarray,
    ids: np.ndarray,
    weights: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    hash_bits: int = HASH_BITS,
    steps: int = 300,
    lr: float = 0.05,
    l2: float = 1e-4,
    seed: int = 0,
    class_balance: float = 1.0,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Full-batch Adam on mean cross-entropy + l2; returns parameters and the loss curve.

    `class_balance` is the exponent of the balanced class weights (1 = fully balanced, 0 =
    none): full balance suits a very rare class (the movie snippets' 2% neutral), a softer
    one a moderately rare class (the tweets' 8% neutral), see benchmarks/README.md.
    """
    key = jax.random.PRNGKey(seed)
    params = {
        "W": jnp.zeros((dense.shape[1], n_classes), jnp.float32),
        "E": 0.01 * jax.random.normal(key, ((1 << hash_bits) + 1, n_classes), jnp.float32),
        "b": jnp.zeros((n_classes,), jnp.float32),
    }
    params["E"] = params["E"].at[0].set(0.0)
    dense_j, ids_j, w_j = jnp.asarray(dense), jnp.asarray(ids), jnp.asarray(weights)
    y_j = jnp.asarray(y, jnp.int32)
    counts = np.bincount(y, minlength=n_classes).astype(np.float32)
    # Balanced class weights: rare classes (neutral, mixed) are not drowned out (a class absent
    # from the data gets weight 0).
    balanced = counts.sum() / (n_classes * np.maximum(counts, 1))
    cw = jnp.asarray(np.where(counts > 0, balanced**class_balance, 0.0), jnp.float32)

    def loss_fn(p: dict[str, jax.Array]) -> jax.Array:
        logp = jax.nn.log_softmax(logits(p, dense_j, ids_j, w_j), axis=1)
        nll = -jnp.take_along_axis(logp, y_j[:, None], axis=1)[:, 0] * cw[y_j]
        reg = l2 * (jnp.sum(p["W"] ** 2) + jnp.sum(p["E"] ** 2))
        return jnp.mean(nll) + reg

    b1, b2, eps = 0.9, 0.999, 1e-8

    @jax.jit
    def step(p, m, v, t):  # type: ignore[no-untyped-def]
        loss, g = jax.value_and_grad(loss_fn)(p)
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
        mhat = jax.tree_util.tree_map(lambda a: a / (1 - b1**t), m)
        vhat = jax.tree_util.tree_map(lambda a: a / (1 - b2**t), v)
        p = jax.tree_util.tree_map(
            lambda a, mm, vv: a - lr * mm / (jnp.sqrt(vv) + eps), p, mhat, vhat
        )
        return p, m, v, loss

    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    losses: list[float] = []
    for t in range(1, steps + 1):
        params, m, v, loss = step(params, m, v, jnp.float32(t))
        if t % 25 == 0 or t == 1 or t == steps:
            losses.append(float(loss))
    return {k: np.asarray(a) for k, a in params.items()}, losses


@dataclass
class FitResult:
    task: str
    classes: list[str]
    params: dict[str, np.ndarray]
    scale: np.ndarray
    losses: list[float]
    train_accuracy: float


def fit_task(
    categorizer: Categorizer,
    texts: list[str] | pl.Series,
    labels: list[str] | pl.Series,
    task: str,
    steps: int = 300,
    lr: float = 0.05,
    l2: float = 1e-4,
    class_balance: float = 1.0,
) -> FitResult:
    """Fit one task's weights on labeled texts (labels must be classes of the taxonomy)."""
    classes = task_classes(categorizer.vocab, task)
    series = as_text_series(texts)
    label_list = [str(x) for x in (labels.to_list() if isinstance(labels, pl.Series) else labels)]
    if len(label_list) != series.len():
        raise ValueError("texts and labels differ in length")
    unknown = sorted(set(label_list) - set(classes))
    if unknown:
        raise ValueError(f"labels {unknown} are not {task} classes {classes}")
    if series.len() == 0:
        raise ValueError("no labeled rows to fit on")
    index = {c: i for i, c in enumerate(classes)}
    y = np.asarray([index[x] for x in label_list], np.int32)
    dense = dense_features(categorizer.raw_scores(series), task)
    scale = np.maximum(dense.std(axis=0), 1e-3).astype(np.float32)
    ids, w = hashed_features(series)
    params, losses = fit_softmax(
        dense / scale,
        ids,
        w,
        y,
        len(classes),
        steps=steps,
        lr=lr,
        l2=l2,
        class_balance=class_balance,
    )
    pred = np.asarray(predict(params, dense / scale, ids, w)).argmax(axis=1)
    return FitResult(task, classes, params, scale, losses, float((pred == y).mean()))


def save(result: FitResult, path: str | Path) -> None:
    """Write (or update) the task's arrays in the `.npz` at `path`, keeping other tasks."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as old:
            arrays = {k: old[k] for k in old.files if not k.startswith(f"{result.task}/")}
    t = result.task
    arrays[f"{t}/classes"] = np.asarray(result.classes)
    arrays[f"{t}/scale"] = result.scale
    arrays[f"{t}/hash_bits"] = np.asarray(HASH_BITS)
    for k, a in result.params.items():
        arrays[f"{t}/{k}"] = a
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)


def fit_and_evaluate_split(
    categorizer: Categorizer,
    train_texts: pl.Series,
    train_labels: pl.Series,
    test_texts: pl.Series,
    task: str = "sentiment",
    class_balance: float = 1.0,
) -> pl.Series:
    """Fit on one split, predict another (benchmarks): 3-class labels for sentiment."""
    result = fit_task(categorizer, train_texts, train_labels, task, class_balance=class_balance)
    weights = LearnedWeights(
        {
            task: {
                **result.params,
                "classes": np.asarray(result.classes),
                "scale": result.scale,
                "hash_bits": np.asarray(HASH_BITS),
            }
        },
        categorizer.vocab,
    )
    series = as_text_series(test_texts)
    labels = weights.apply(series, categorizer.raw_scores(series))
    names = np.asarray(result.classes)[labels[task]]
    return pl.Series(names)
