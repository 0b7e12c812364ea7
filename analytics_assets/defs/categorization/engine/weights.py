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
from scipy.sparse import csr_matrix

from analytics_assets.defs.categorization.engine import kernels
from analytics_assets.defs.categorization.engine.tokenize import TOKEN_HASH_SEED, Tokenized
from analytics_assets.defs.categorization.engine.vocab import SENTIMENTS, TOPIC_FALLBACK, Vocabulary

TASKS = ("sentiment", "topic", "intent")
HASH_BITS = 16
# Version of the hashed features: weights fitted with another layout are refused at load.
FEATURES = "tokens-uni-bi-v2"


@dataclass
class RawScores:
    """Per-message raw scores before the decision (inputs to rules and learned weights)."""

    topic: np.ndarray  # [n, T]
    intent: np.ndarray  # [n, I]
    sent: np.ndarray  # [n, 6]
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    # [n, k] hashed-feature logits of all learned tasks (LearnedWeights.hashed_logits), when the
    # engine has learned weights; computed per slice from the tokenizer's token hashes.
    hashed: np.ndarray | None = None

    @classmethod
    def empty(cls, n_topics: int, n_intents: int) -> RawScores:
        """Scores of no texts: the feature layout without running the engine."""
        return cls(
            np.zeros((0, n_topics), np.float32),
            np.zeros((0, n_intents), np.float32),
            np.zeros((0, len(kernels.SENT_COLUMNS)), np.float32),
        )


def token_feature_ids(
    token_hash: np.ndarray, n_tokens: np.ndarray, hash_bits: int = HASH_BITS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hashed word unigram and bigram ids (1..2**hash_bits; 0 is padding) of tokenized texts.

    `token_hash` is `Tokenized.token_hash` (every token of every text, in order) and `n_tokens`
    the tokens per text. Returns (unigram ids, unigrams per text, bigram ids, bigrams per text),
    each id array in text order. A bigram's hash mixes its two tokens' 64-bit hashes in numpy.
    """
    mask = np.uint64((1 << hash_bits) - 1)
    n_tokens = n_tokens.astype(np.int64)
    h = token_hash.astype(np.uint64, copy=False)
    uni = ((h & mask).astype(np.int64) + 1).astype(np.int32)
    total = h.shape[0]
    if total < 2:
        return uni, n_tokens, np.zeros(0, np.int32), np.zeros_like(n_tokens)
    same = np.ones(total - 1, np.bool_)
    starts = (np.cumsum(n_tokens) - n_tokens)[n_tokens > 0]
    same[starts[starts > 0] - 1] = False
    mixed = h[:-1] * np.uint64(0x9E3779B97F4A7C15) + (h[1:] ^ np.uint64(0x5BD1E995))
    big = (((mixed >> np.uint64(24)) & mask).astype(np.int64) + 1).astype(np.int32)[same]
    return uni, n_tokens, big, np.maximum(n_tokens - 1, 0)


def feature_scale(n_uni: np.ndarray, n_big: np.ndarray) -> np.ndarray:
    """Weight of each feature of a text: 1/sqrt(number of features), so long texts do not win."""
    return (1.0 / np.sqrt(np.maximum(n_uni + n_big, 1))).astype(np.float32)


def _segment_sums(table: np.ndarray, ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sum of `table[ids]` rows per text (`counts` consecutive ids per text).

    A sparse [texts, buckets] matrix times the table (scipy's CSR product adds each feature's
    row into its text's row in C, with no [features, classes] temporary): about 7x less CPU
    than a gather followed by `np.add.reduceat` on chat messages.
    """
    n = counts.shape[0]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    data = np.ones(ids.shape[0], np.float32)
    matrix = csr_matrix((data, ids, indptr), shape=(n, table.shape[0]))
    return np.asarray(matrix @ table, np.float32)


def hashed_logits(table: np.ndarray, token_hash: np.ndarray, n_tokens: np.ndarray, hash_bits: int):
    """Sum of the hashed features' rows of `table` ([2**bits + 1, k]) per text, scaled."""
    uni, n_uni, big, n_big = token_feature_ids(token_hash, n_tokens, hash_bits)
    sums = _segment_sums(table, uni, n_uni)
    sums += _segment_sums(table, big, n_big)
    sums *= feature_scale(n_uni, n_big)[:, None]
    return sums


def padded_features(
    token_hash: np.ndarray, n_tokens: np.ndarray, hash_bits: int = HASH_BITS
) -> tuple[np.ndarray, np.ndarray]:
    """[n, F] feature ids (0 = padding) and weights: the same features, laid out for fitting."""
    uni, n_uni, big, n_big = token_feature_ids(token_hash, n_tokens, hash_bits)
    n = n_tokens.shape[0]
    width = max(int((n_uni + n_big).max()) if n else 0, 1)
    ids = np.zeros((n, width), np.int32)
    for arr, counts, offset in ((uni, n_uni, np.zeros(n, np.int64)), (big, n_big, n_uni)):
        owner = np.repeat(np.arange(n), counts)
        rank = np.arange(arr.shape[0]) - (np.cumsum(counts) - counts)[owner]
        ids[owner, offset[owner] + rank] = arr
    w = np.where(ids > 0, feature_scale(n_uni, n_big)[:, None], 0.0).astype(np.float32)
    return ids, w


def hash_probe() -> int:
    """Hash of a fixed token: stored with fitted weights so a changed hash function (a Polars
    upgrade) is caught at load time instead of silently scrambling the features."""
    probe = pl.Series(["probe"]).hash(seed=TOKEN_HASH_SEED).to_numpy()
    return int(probe[0] & np.uint64(0x7FFFFFFF))


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
    """Weights loaded from a `.npz`; replaces the rule decision for the tasks it holds.

    Applying them costs one gather of the hashed features' rows (all tasks' tables side by
    side, so one gather serves every task) plus a small dense product per task, in numpy.
    """

    def __init__(self, tasks: dict[str, dict[str, np.ndarray]], vocab: Vocabulary):
        self.tasks = tasks
        # Raw scores of no texts give the feature layout of this taxonomy without scoring.
        template = RawScores.empty(len(vocab.topics), len(vocab.intents))
        bits = {int(a["hash_bits"]) for a in tasks.values() if "hash_bits" in a}
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
            features = str(arrays["features"]) if "features" in arrays else "(none recorded)"
            if features != FEATURES:
                raise ValueError(
                    f"weights for {task} use features {features}, this engine {FEATURES}: refit"
                )
            if int(arrays["hash_probe"]) != hash_probe():
                raise ValueError(
                    f"weights for {task} were fitted with another token hash (Polars version "
                    "changed?): refit them"
                )
        if len(bits) != 1:
            raise ValueError(f"weights tasks disagree on hash bits: {sorted(bits)}")
        self.hash_bits = bits.pop()
        self.columns: dict[str, slice] = {}
        # The temperature and the dense features' scale are folded into the arrays once, so
        # applying is logits = dense @ W' + hashed + b' with no per-row division.
        self.folded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        tables = []
        start = 0
        for task, arrays in tasks.items():
            k = arrays["b"].shape[0]
            self.columns[task] = slice(start, start + k)
            start += k
            inv_t = np.float32(1.0 / float(arrays.get("temperature", 1.0)))
            w = (arrays["W"] / arrays["scale"][:, None] * inv_t).astype(np.float32)
            self.folded[task] = (w, (arrays["b"] * inv_t).astype(np.float32))
            tables.append(arrays["E"] * inv_t)
        self.table = np.concatenate(tables, axis=1).astype(np.float32)

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

    def hashed_logits(self, tok: Tokenized) -> np.ndarray:
        """[n, k] hashed-feature logits of every task of tokenized texts (tokens hashed)."""
        if tok.token_hash is None:
            raise ValueError("tokenize(..., hashes=True) is needed for learned weights")
        return hashed_logits(self.table, tok.token_hash, tok.n_tokens, self.hash_bits)

    def logits(self, task: str, scores: RawScores) -> np.ndarray:
        """[n, classes] calibrated logits of `task` (already divided by the temperature)."""
        if scores.hashed is None:
            raise ValueError("raw scores lack the hashed-feature logits of the learned layer")
        w, b = self.folded[task]
        z = dense_features(scores, task).astype(np.float32, copy=False) @ w
        z += scores.hashed[:, self.columns[task]]
        z += b
        return z

    def probabilities(self, task: str, scores: RawScores) -> np.ndarray:
        """[n, classes] calibrated class probabilities of `task` (softmax of logits / T)."""
        z = self.logits(task, scores)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def apply(self, scores: RawScores) -> dict[str, np.ndarray]:
        """Labels with the learned tasks replacing the rule decisions.

        Only the best class, its probability and (sentiment) P(pos) - P(neg) are needed, so
        the softmax is never normalised row by row: the best class's probability is
        1 / sum(exp(z - max z)).
        """
        labels = dict(scores.labels)
        for task in self.tasks:
            z = self.logits(task, scores)
            best = z.argmax(axis=1).astype(np.int32)
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            inv_sum = 1.0 / z.sum(axis=1)
            if task == "sentiment":
                labels["sentiment"] = best
                # Expected polarity: P(positive) - P(negative), in [-1, 1].
                labels["sentiment_score"] = ((z[:, 0] - z[:, 1]) * inv_sum).astype(np.float32)
            else:
                labels[task] = best
                labels[f"{task}_confidence"] = inv_sum.astype(np.float32)
        return labels
