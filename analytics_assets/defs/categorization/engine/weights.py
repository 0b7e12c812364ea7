"""Applying learned weights: the features of a text and the softmax over them.

Why a module of its own: the engine needs to load and apply weights, and fitting them
(`learned.py`) needs the engine's raw scores; keeping the shared half here lets both import
it without importing each other. The feature and model definitions are in `learned.py`'s
docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl

from analytics_assets.defs.categorization.engine import kernels
from analytics_assets.defs.categorization.engine.tokenize import window_expr
from analytics_assets.defs.categorization.engine.vocab import SENTIMENTS, TOPIC_FALLBACK, Vocabulary

TASKS = ("sentiment", "topic", "intent")
HASH_BITS = 18
MAX_FEATURES = 256  # hashed features kept per text (longer texts keep their first ones)
ROWS = 2048  # scoring batch rows (fixed shape, one compile)
WORD_PATTERN = r"[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*|[!?]|[:;][-']?[()dDpP]"
CHAR_CHARS = 300  # character n-grams from the first 300 characters


@dataclass
class RawScores:
    """Per-message raw scores before the decision (inputs to rules and learned weights)."""

    topic: np.ndarray  # [n, T]
    intent: np.ndarray  # [n, I]
    sent: np.ndarray  # [n, 6]
    labels: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(cls, n_topics: int, n_intents: int) -> RawScores:
        """Scores of no texts: the feature layout without running the engine."""
        return cls(
            np.zeros((0, n_topics), np.float32),
            np.zeros((0, n_intents), np.float32),
            np.zeros((0, len(kernels.SENT_COLUMNS)), np.float32),
        )


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


def logits(params: dict[str, jax.Array], dense: jax.Array, ids: jax.Array, w: jax.Array):
    emb = jnp.sum(params["E"][ids] * w[..., None], axis=1)
    return dense @ params["W"] + emb + params["b"]


@jax.jit
def predict(params: dict[str, jax.Array], dense: jax.Array, ids: jax.Array, w: jax.Array):
    return jax.nn.softmax(logits(params, dense, ids, w), axis=1)


def task_classes(vocab: Vocabulary, task: str) -> list[str]:
    """Class names of `task` in the order of the weight columns."""
    if task == "sentiment":
        return list(SENTIMENTS)
    if task == "topic":
        return [*vocab.topics, TOPIC_FALLBACK]
    if task == "intent":
        return list(vocab.intents)
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


class LearnedWeights:
    """Weights loaded from a `.npz`; replaces the rule decision for the tasks it holds."""

    def __init__(self, tasks: dict[str, dict[str, np.ndarray]], vocab: Vocabulary):
        self.tasks = tasks
        # Raw scores of no texts give the feature layout of this taxonomy without scoring.
        template = RawScores.empty(len(vocab.topics), len(vocab.intents))
        for task, arrays in tasks.items():
            expected = task_classes(vocab, task)
            classes = [str(c) for c in arrays["classes"]]
            if classes != expected:
                raise ValueError(
                    f"weights for {task} were fitted for classes {classes}, the taxonomy has "
                    f"{expected}: refit with this taxonomy"
                )
            width = dense_features(template, task).shape[1]
            if arrays["W"].shape[0] != width:
                raise ValueError(
                    f"weights for {task} take {arrays['W'].shape[0]} rule features, this engine "
                    f"gives {width}: refit them with this version"
                )
            if int(arrays["hash_bits"]) != HASH_BITS:
                raise ValueError(f"weights for {task} use {int(arrays['hash_bits'])} hash bits")

    @classmethod
    def load(cls, path: str | Path, vocab: Vocabulary) -> LearnedWeights:
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
        return cls(tasks, vocab)

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
                probs[start:stop] = np.asarray(predict(params, *chunk))[: stop - start]
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
