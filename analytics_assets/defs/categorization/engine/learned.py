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
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl

from analytics_assets.defs.categorization.engine.tokenize import as_text_series, window_expr
from analytics_assets.defs.categorization.engine.vocab import SENTIMENTS, TOPIC_FALLBACK

if TYPE_CHECKING:
    from analytics_assets.defs.categorization.engine.engine import Categorizer, RawScores

TASKS = ("sentiment", "topic", "intent")
HASH_BITS = 18
MAX_FEATURES = 256  # hashed features kept per text (longer texts keep their first ones)
ROWS = 2048  # scoring batch rows (fixed shape, one compile)
WORD_PATTERN = r"[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*|[!?]|[:;][-']?[()dDpP]"
CHAR_CHARS = 300  # character n-grams from the first 300 characters


def hashed_features(texts: pl.Series, hash_bits: int = HASH_BITS) -> tuple[np.ndarray, np.ndarray]:
    """[n, MAX_FEATURES] hashed feature ids (0 = padding) and their weights, in Polars.

    Word unigrams and bigrams (prefixed so they never collide with character grams by
    construction of the text) and character trigrams at offsets 0, 1 and 2.
    """
    n = texts.len()
    mask = (1 << hash_bits) - 1
    frame = (
        pl.DataFrame({"text": texts})
        .select(window_expr())
        .with_columns(low=pl.col("text").str.to_lowercase())
    )
    words = (
        frame.select(
            msg=pl.int_range(0, n, dtype=pl.Int32),
            tok=pl.col("low").str.extract_all(WORD_PATTERN),
        )
        .explode("tok")
        .drop_nulls("tok")
        .with_columns(nxt=pl.col("tok").shift(-1), nmsg=pl.col("msg").shift(-1))
    )
    unigrams = words.select("msg", feat=pl.lit("w:") + pl.col("tok"))
    bigrams = words.filter(pl.col("nmsg") == pl.col("msg")).select(
        "msg", feat=pl.lit("b:") + pl.col("tok") + pl.lit(" ") + pl.col("nxt")
    )
    head = frame.select(
        msg=pl.int_range(0, n, dtype=pl.Int32), low=pl.col("low").str.slice(0, CHAR_CHARS)
    )
    chars = [
        head.select("msg", feat=pl.col("low").str.slice(offset).str.extract_all(r"(?s).{3}"))
        .explode("feat")
        .drop_nulls("feat")
        .select("msg", feat=pl.lit("c:") + pl.col("feat"))
        for offset in (0, 1, 2)
    ]
    feats = (
        pl.concat([unigrams, bigrams, *chars], how="vertical")
        .select("msg", fid=(pl.col("feat").hash(seed=7) & mask).cast(pl.Int32) + 1)
        .unique(maintain_order=True)
    )
    feats = feats.with_columns(rank=pl.int_range(pl.len()).over("msg")).filter(
        pl.col("rank") < MAX_FEATURES
    )
    ids = np.zeros((n, MAX_FEATURES), np.int32)
    msg = feats["msg"].to_numpy()
    ids[msg, feats["rank"].to_numpy()] = feats["fid"].to_numpy()
    counts = np.maximum((ids > 0).sum(axis=1, keepdims=True), 1)
    weights = np.where(ids > 0, 1.0 / np.sqrt(counts), 0.0).astype(np.float32)
    return ids, weights


def dense_features(scores: RawScores, task: str) -> np.ndarray:
    """The rule engine's raw scores used as inputs for `task`."""
    if task == "sentiment":
        sent = scores.sent
        return np.concatenate([sent, np.abs(sent[:, 3:4]), sent[:, 1:2] * sent[:, 2:3]], axis=1)
    if task == "topic":
        return np.concatenate([scores.topic, scores.sent[:, 3:4], scores.intent], axis=1)
    return np.concatenate([scores.intent, scores.topic, scores.sent[:, 3:6]], axis=1)


def dense_width(categorizer: Categorizer, task: str) -> int:
    """Number of `dense_features` columns for `task` with this categorizer's taxonomy.

    Taken from `dense_features` of no texts, so the layout is written down once.
    """
    return dense_features(categorizer.raw_scores([]), task).shape[1]


def _logits(params: dict[str, jax.Array], dense: jax.Array, ids: jax.Array, w: jax.Array):
    emb = jnp.sum(params["E"][ids] * w[..., None], axis=1)
    return dense @ params["W"] + emb + params["b"]


@jax.jit
def _predict(params: dict[str, jax.Array], dense: jax.Array, ids: jax.Array, w: jax.Array):
    return jax.nn.softmax(_logits(params, dense, ids, w), axis=1)


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
        logp = jax.nn.log_softmax(_logits(p, dense_j, ids_j, w_j), axis=1)
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


def task_classes(categorizer: Categorizer, task: str) -> list[str]:
    if task == "sentiment":
        return list(SENTIMENTS)
    if task == "topic":
        return [*categorizer.vocab.topics, TOPIC_FALLBACK]
    if task == "intent":
        return list(categorizer.vocab.intents)
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


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
    classes = task_classes(categorizer, task)
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
    pred = np.asarray(_predict(params, dense / scale, ids, w)).argmax(axis=1)
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


class LearnedWeights:
    """Weights loaded from a `.npz`; replaces the rule decision for the tasks it holds."""

    def __init__(self, tasks: dict[str, dict[str, np.ndarray]], categorizer: Categorizer):
        self.tasks = tasks
        for task, arrays in tasks.items():
            expected = task_classes(categorizer, task)
            classes = [str(c) for c in arrays["classes"]]
            if classes != expected:
                raise ValueError(
                    f"weights for {task} were fitted for classes {classes}, the taxonomy has "
                    f"{expected}: refit with this taxonomy"
                )
            width = dense_width(categorizer, task)
            if arrays["W"].shape[0] != width:
                raise ValueError(
                    f"weights for {task} take {arrays['W'].shape[0]} rule features, this engine "
                    f"gives {width}: refit them with this version"
                )
            if int(arrays["hash_bits"]) != HASH_BITS:
                raise ValueError(f"weights for {task} use {int(arrays['hash_bits'])} hash bits")

    @classmethod
    def load(cls, path: str | Path, categorizer: Categorizer) -> LearnedWeights:
        path = Path(path)
        if not path.exists():
            raise ValueError(f"weights file not found: {path}")
        tasks: dict[str, dict[str, np.ndarray]] = {}
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                task, _, name = key.partition("/")
                if task not in TASKS:
                    raise ValueError(f"{path}: unknown task {task!r} in weights file")
                tasks.setdefault(task, {})[name] = data[key]
        if not tasks:
            raise ValueError(f"{path}: no weights in file")
        return cls(tasks, categorizer)

    def apply(self, texts: pl.Series, scores: RawScores) -> dict[str, np.ndarray]:
        """Labels with the learned tasks replacing the rule decisions (fixed-shape batches)."""
        labels = dict(scores.labels)
        ids, w = hashed_features(texts)
        n = texts.len()
        for task, arrays in self.tasks.items():
            params = {k: jnp.asarray(arrays[k]) for k in ("W", "E", "b")}
            dense = dense_features(scores, task) / arrays["scale"]
            probs = np.zeros((n, arrays["b"].shape[0]), np.float32)
            for start in range(0, n, ROWS):
                stop = min(start + ROWS, n)
                pad = ROWS - (stop - start)
                chunk = [
                    np.pad(a[start:stop], [(0, pad)] + [(0, 0)] * (a.ndim - 1))
                    for a in (dense.astype(np.float32), ids, w)
                ]
                probs[start:stop] = np.asarray(_predict(params, *chunk))[: stop - start]
            best = probs.argmax(axis=1).astype(np.int32)
            conf = probs.max(axis=1)
            if task == "sentiment":
                labels["sentiment"] = best
                # Expected polarity: P(positive) - P(negative), in [-1, 1].
                labels["sentiment_score"] = (probs[:, 0] - probs[:, 1]).astype(np.float32)
            else:
                labels[task] = best
                labels[f"{task}_confidence"] = conf.astype(np.float32)
        return labels


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
        categorizer,
    )
    series = as_text_series(test_texts)
    labels = weights.apply(series, categorizer.raw_scores(series))
    names = np.asarray(result.classes)[labels[task]]
    return pl.Series(names)
