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
* hashed word unigrams and bigrams of the engine's own token split (the tokenizer hashes every
  token, known to the lexicons or not, when learned weights are on, so scoring does not split
  the texts a second time; Thai and Japanese words come from its dictionary segmenter),
  `2**hash_bits` buckets, each feature weighted 1/sqrt(number of features of the text).
  (Character trigrams, an earlier layout, scored about 0.03 higher topic macro-F1 in the
  chat_eval train-split cross-validation but cost a second pass over the text: they did not
  fit the 250k messages/s target.)

Confidences are calibrated: logits are divided by a temperature chosen on out-of-fold logits
(`calibrate_temperature`).

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
from analytics_assets.defs.categorization.engine.tokenize import as_text_series, tokenize
from analytics_assets.defs.categorization.engine.weights import (
    FEATURES,
    HASH_BITS,
    LearnedWeights,
    dense_features,
    hash_probe,
    logits,
    padded_features,
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
    del seed  # kept for callers: the problem is convex, so the start needs no randomness
    params = {
        "W": jnp.zeros((dense.shape[1], n_classes), jnp.float32),
        # Zeros: buckets no training text uses stay exactly 0, so a weights file compresses to
        # the features actually seen (random starts made the packaged file 5.6 MB of noise).
        "E": jnp.zeros(((1 << hash_bits) + 1, n_classes), jnp.float32),
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
class TaskData:
    """One task's fitting inputs: rule features, padded hashed ids and weights, class ids."""

    dense: np.ndarray
    ids: np.ndarray
    w: np.ndarray
    y: np.ndarray
    classes: list[str]

    def rows(self, mask: np.ndarray) -> TaskData:
        return TaskData(self.dense[mask], self.ids[mask], self.w[mask], self.y[mask], self.classes)

    def __add__(self, other: TaskData) -> TaskData:
        width = max(self.ids.shape[1], other.ids.shape[1])

        def pad(a: np.ndarray) -> np.ndarray:
            return np.pad(a, [(0, 0), (0, width - a.shape[1])])

        return TaskData(
            np.concatenate([self.dense, other.dense]),
            np.concatenate([pad(self.ids), pad(other.ids)]),
            np.concatenate([pad(self.w), pad(other.w)]),
            np.concatenate([self.y, other.y]),
            self.classes,
        )


def text_features(categorizer: Categorizer, texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Padded hashed features of `texts`, from the engine's own token split (as when scoring)."""
    v = categorizer.vocab
    tok = tokenize(texts, v.enum, v.thai_terms, hashes=True)
    assert tok.token_hash is not None
    return padded_features(tok.token_hash, tok.n_tokens)


def task_data(
    categorizer: Categorizer,
    texts: list[str] | pl.Series,
    labels: list[str] | pl.Series,
    task: str,
) -> TaskData:
    """Checked fitting inputs of `task` (labels must be classes of the taxonomy)."""
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
    ids, w = text_features(categorizer, series)
    return TaskData(dense, ids, w, y, classes)


@dataclass
class FitResult:
    task: str
    classes: list[str]
    params: dict[str, np.ndarray]
    scale: np.ndarray
    losses: list[float]
    train_accuracy: float
    temperature: float = 1.0
    cv_macro_f1: float | None = None  # out-of-fold macro-F1 when calibrated on folds

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays of this task as stored in a weights file (without the task prefix)."""
        return {
            **self.params,
            "classes": np.asarray(self.classes),
            "scale": self.scale,
            "hash_bits": np.asarray(HASH_BITS),
            "features": np.asarray(FEATURES),
            "hash_probe": np.asarray(hash_probe()),
            "temperature": np.asarray(self.temperature, np.float32),
        }


def fit_data(
    data: TaskData,
    task: str,
    steps: int = 300,
    lr: float = 0.05,
    l2: float = 1e-4,
    class_balance: float = 1.0,
    temperature: float = 1.0,
) -> FitResult:
    """Fit one task on prepared inputs (dense features scaled by their standard deviation)."""
    scale = np.maximum(data.dense.std(axis=0), 1e-3).astype(np.float32)
    params, losses = fit_softmax(
        data.dense / scale,
        data.ids,
        data.w,
        data.y,
        len(data.classes),
        steps=steps,
        lr=lr,
        l2=l2,
        class_balance=class_balance,
    )
    pred = np.asarray(predict(params, data.dense / scale, data.ids, data.w)).argmax(axis=1)
    accuracy = float((pred == data.y).mean())
    return FitResult(task, data.classes, params, scale, losses, accuracy, temperature)


def result_logits(result: FitResult, data: TaskData) -> np.ndarray:
    """Uncalibrated logits of a fitted task on prepared inputs."""
    return np.asarray(logits(result.params, data.dense / result.scale, data.ids, data.w))


def fold_ids(n: int, folds: int, seed: int = 0) -> np.ndarray:
    """A seeded fold number per row."""
    return np.random.default_rng(seed).permutation(np.arange(n) % folds)


def cross_validate(
    data: TaskData,
    task: str,
    folds: np.ndarray,
    extra: TaskData | None = None,
    **fit_kwargs: float,
) -> np.ndarray:
    """Out-of-fold logits: each fold predicted by a model fitted on the other folds (plus
    `extra` rows, which are only ever trained on)."""
    out = np.zeros((data.y.shape[0], len(data.classes)), np.float32)
    for f in np.unique(folds):
        train = data.rows(folds != f)
        if extra is not None:
            train = train + extra
        result = fit_data(train, task, **fit_kwargs)  # type: ignore[arg-type]
        out[folds == f] = result_logits(result, data.rows(folds == f))
    return out


def calibrate_temperature(logits_oof: np.ndarray, y: np.ndarray) -> float:
    """Temperature T minimising the out-of-fold log loss of softmax(logits / T): confidences
    then mean what they say (a grid over 0.25..8, log-spaced)."""
    best, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 41)):
        z = logits_oof / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -float(logp[np.arange(y.shape[0]), y].mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def fit_task(
    categorizer: Categorizer,
    texts: list[str] | pl.Series,
    labels: list[str] | pl.Series,
    task: str,
    calibrate_folds: int = 0,
    **options: float,
) -> FitResult:
    """Fit one task's weights on labeled texts (labels must be classes of the taxonomy);
    `options` are `fit_data`'s (steps, lr, l2, class_balance).

    `calibrate_folds` >= 2: the confidence temperature is chosen on out-of-fold logits of that
    many folds (costs that many extra fits); otherwise it stays 1.
    """
    data = task_data(categorizer, texts, labels, task)
    temperature, cv_f1 = 1.0, None
    if calibrate_folds >= 2 and data.y.shape[0] >= 2 * calibrate_folds:
        folds = fold_ids(data.y.shape[0], calibrate_folds)
        oof = cross_validate(data, task, folds, **options)
        temperature = calibrate_temperature(oof, data.y)
        cv_f1 = macro_f1(data.y, oof.argmax(axis=1), len(data.classes))
    result = fit_data(data, task, temperature=temperature, **options)  # type: ignore[arg-type]
    result.cv_macro_f1 = cv_f1
    return result


def macro_f1(gold: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Macro-F1 over the classes present in `gold` (class ids 0..k-1)."""
    cm = np.bincount(gold * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    present = cm.sum(axis=1) > 0
    return float(f1[present].mean()) if present.any() else 0.0


def save(result: FitResult, path: str | Path) -> None:
    """Write (or update) the task's arrays in the `.npz` at `path`, keeping other tasks."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as old:
            arrays = {k: old[k] for k in old.files if not k.startswith(f"{result.task}/")}
    for k, a in result.arrays().items():
        arrays[f"{result.task}/{k}"] = a
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
    weights = LearnedWeights({task: result.arrays()}, categorizer.vocab)
    series = as_text_series(test_texts)
    scores = categorizer.raw_scores(series)
    tok = tokenize(series, categorizer.vocab.enum, categorizer.vocab.thai_terms, hashes=True)
    scores.hashed = weights.hashed_logits(tok)
    labels = weights.apply(scores)
    names = np.asarray(result.classes)[labels[task]]
    return pl.Series(names)
