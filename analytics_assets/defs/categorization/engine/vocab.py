"""Taxonomy + lexicons (data files) -> one vocabulary and its per-token feature tables.

Every term of every class, language and lexicon becomes a vocabulary row; multi-word terms
(up to three tokens, e.g. "how much", "mot de passe") become phrase rows that the engine finds
by looking up consecutive token ids in a sorted key table. One vocabulary for all languages
means no language detection is needed before scoring; the price is that a surface form shared
by two languages carries both meanings, so the lexicons leave out the ambiguous ones ("die",
"gift", "hell" ...).

Feature tables are plain numpy arrays indexed by row id (row 0 is padding, all zeros); the
engine moves them to the scoring device once.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from importlib import resources
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from analytics_assets.defs.categorization.engine.tokenize import UNSPACED_RANGE, split_terms_many

TOPIC_FALLBACK = "other"
SENTIMENTS = ("positive", "negative", "neutral", "mixed")
MAX_PHRASE_TOKENS = 3

# Punctuation tokens the tokenizer can emit, and what they mean for the rules.
PUNCTUATION = (
    ["".join(p) for n in (1, 2, 3) for p in product("!?", repeat=n)]
    + [".", "..", "...", ",", ";", ":", "¡", "¿"]
    + [f"{a}{b}" for a in "¡¿" for b in "¡¿"]
    + [f"{a}{b}{c}" for a in "¡¿" for b in "¡¿" for c in "¡¿"]
)


def default_taxonomy_path() -> Path:
    """The packaged taxonomy, used when `CATEGORIZER_TAXONOMY` is not set."""
    return Path(
        str(resources.files("analytics_assets.defs.categorization.engine") / "taxonomy.yaml")
    )


@dataclass
class Vocabulary:
    """Terms, phrase lookup and feature tables built from one taxonomy file."""

    topics: list[str]
    intents: list[str]
    terms: pl.DataFrame  # term (lowercase token) -> tid (Int32), unigrams only
    enum: pl.Enum  # the unigram terms in id order: Enum index + 1 = tid
    thai_terms: list[str]  # terms in Thai or Japanese script: the segmenter's dictionary
    n_unigrams: int  # rows 0..n_unigrams-1 are unigrams (0 = padding)
    phrase_keys: np.ndarray  # sorted int64 keys: prefix_row * n_rows + next_tid
    phrase_rows: np.ndarray  # row id of the phrase for each key
    phrase_start: np.ndarray  # bool per unigram row: can start a phrase
    tables: dict[str, np.ndarray]  # feature name -> array indexed by row id
    intent_prior: np.ndarray
    intent_start: np.ndarray
    intent_end: np.ndarray
    intent_neg: np.ndarray
    intent_pos: np.ndarray
    topic_mag: np.ndarray
    settings: dict[str, float]
    source: str = ""
    row_terms: list[str] = field(default_factory=list)


DEFAULT_SETTINGS: dict[str, float] = {
    # "other" wins unless some topic scores at least this much.
    "other_score": 0.6,
    # Context weighting of topic terms: first clause and question clauses count more.
    "first_clause_boost": 0.3,
    "question_boost": 0.2,
    # Softmax sharpness for topic/intent confidences.
    "confidence_beta": 2.5,
    # Intent position window (tokens from the start / end).
    "position_window": 3,
    "short_message_tokens": 6,
    "short_message_boost": 0.1,
    # Sentiment (VADER-style constants, tuned on the VADER dev sets and our own data).
    "negation_scalar": -0.74,
    "negation_window": 3,
    "negation_after_window": 2,
    "booster_decay_2": 0.95,
    "booster_decay_3": 0.9,
    "caps_increment": 0.733,
    "contrast_before": 0.5,
    "contrast_after": 1.5,
    "exclamation_increment": 0.292,
    "exclamation_max": 4,
    "question_increment": 0.18,
    "normalize_alpha": 15.0,
    "positive_threshold": 0.05,
    "negative_threshold": 0.05,
    "mixed_min": 1.5,
    "mixed_ratio": 0.5,
}


def _read_tsv(path: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not row or not row[0].strip() or row[0].startswith("#"):
                continue
            rows.append([c.strip() for c in row])
    return rows


class _Builder:
    """Collects rows and features while reading the taxonomy; `finish` makes the arrays."""

    def __init__(self, topics: list[str], intents: list[str]) -> None:
        self.topics = topics
        self.intents = intents
        self.unigrams: dict[str, int] = {"<pad>": 0}
        self.phrases: dict[tuple[int, ...], int] = {}
        self.features: dict[int, dict[str, Any]] = {}
        self._splits: dict[str, list[str]] = {}

    def prime(self, terms: list[str]) -> None:
        """Tokenize the terms about to be added in one call (see `split_terms_many`)."""
        todo = {t for t in terms if t not in self._splits}
        todo |= {t.replace("'", "’") for t in todo if "'" in t}
        todo_list = sorted(todo)
        self._splits.update(zip(todo_list, split_terms_many(todo_list), strict=True))

    def tokens(self, term: str) -> list[str]:
        if term not in self._splits:
            self._splits[term] = split_terms_many([term])[0]
        return self._splits[term]

    def _row(self, key: int) -> dict[str, Any]:
        return self.features.setdefault(
            key,
            {
                "topic": np.zeros(len(self.topics), np.float32),
                "intent": np.zeros(len(self.intents), np.float32),
                "valence": [],
                "booster": 0.0,
                "booster_after": 0.0,
                "neg_before": False,
                "neg_after": False,
                "contrast": False,
                "fixed": False,
            },
        )

    def unigram(self, token: str) -> int:
        if token not in self.unigrams:
            self.unigrams[token] = len(self.unigrams)
        return self.unigrams[token]

    def term_row(self, term: str, where: str) -> list[int]:
        """Row ids the term's features go to: one token -> unigram, more -> phrase rows.

        Several rows come back for the special term "?" (every question-mark token).
        """
        if term == "?":
            return [self.unigram(p) for p in PUNCTUATION if "?" in p]
        if re.search(r"\w'\w", term):
            # The same features for the typographic apostrophe (don’t, n’est).
            return self._term_rows(term, where) + self._term_rows(term.replace("'", "’"), where)
        return self._term_rows(term, where)

    def _term_rows(self, term: str, where: str) -> list[int]:
        tokens = self.tokens(term)
        if not tokens:
            raise ValueError(f"{where}: term {term!r} has no tokens")
        if "".join(tokens).replace("-", "") != "".join(term.lower().replace("-", " ").split()):
            # Part of the term is not a token (e.g. "-_-"): it could never match as written.
            # (Hyphens separate tokens: "e-mail" is the phrase "e mail".)
            raise ValueError(f"{where}: term {term!r} does not tokenize as written: {tokens}")
        if len(tokens) > MAX_PHRASE_TOKENS:
            raise ValueError(
                f"{where}: term {term!r} has {len(tokens)} tokens; at most {MAX_PHRASE_TOKENS}"
            )
        ids = tuple(self.unigram(t) for t in tokens)
        if len(ids) == 1:
            return [ids[0]]
        # Register the 2-token prefix of a 3-token phrase so the kernel can chain lookups.
        if len(ids) == 3:
            self.phrases.setdefault(ids[:2], len(self.phrases))
        # Phrases get their final row ids in `finish`; until then they are keyed -1 - index.
        return [-1 - self.phrases.setdefault(ids, len(self.phrases))]

    def finish(self) -> tuple[dict[str, int], dict[tuple[int, ...], int], dict[int, dict]]:
        n_uni = len(self.unigrams)
        phrase_rows = {ids: n_uni + index for ids, index in self.phrases.items()}
        by_index = {index: ids for ids, index in self.phrases.items()}
        remap: dict[int, dict] = {}
        for key, feats in self.features.items():
            row = key if key >= 0 else phrase_rows[by_index[-1 - key]]
            remap[row] = feats
        return self.unigrams, phrase_rows, remap


SCALAR_FEATURES = (
    "valence",
    "booster",
    "booster_after",
    "neg_before",
    "neg_after",
    "contrast",
    "brk",
    "qmark",
    "excl",
    "span",
    "fixed",
)


def pack_tables(vocab: Vocabulary) -> np.ndarray:
    """All per-row features in one [rows, T + I + scalars] float32 table (one gather on device).

    Column order: topics, intents, then `SCALAR_FEATURES`.
    """
    t = vocab.tables
    scalars = np.stack([t[name] for name in SCALAR_FEATURES], axis=1)
    return np.concatenate([t["topic"], t["intent"], scalars], axis=1).astype(np.float32)


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read a taxonomy YAML (and the lexicons it names) into a `Vocabulary`.

    Raises ValueError with the offending file and entry when the data is malformed, so a bad
    replacement taxonomy fails at start-up and not in the middle of a partition.
    """
    tax_path = Path(path) if path else default_taxonomy_path()
    if not tax_path.exists():
        raise ValueError(f"taxonomy file not found: {tax_path}")
    doc = yaml.safe_load(tax_path.read_text(encoding="utf-8")) or {}
    for key in ("topics", "intents"):
        if not isinstance(doc.get(key), dict) or not doc[key]:
            raise ValueError(f"{tax_path}: '{key}' must be a non-empty mapping")
    topics = [t for t in doc["topics"] if t != TOPIC_FALLBACK]
    intents = list(doc["intents"])
    settings = {**DEFAULT_SETTINGS, **{k: float(v) for k, v in (doc.get("settings") or {}).items()}}
    b = _Builder(topics, intents)

    intent_prior = np.zeros(len(intents), np.float32)
    intent_start = np.zeros(len(intents), np.float32)
    intent_end = np.zeros(len(intents), np.float32)
    intent_neg = np.zeros(len(intents), np.float32)
    intent_pos = np.zeros(len(intents), np.float32)
    topic_mag = np.zeros(len(topics), np.float32)

    def add_terms(kind: str, index: int, name: str, spec: dict[str, Any]) -> None:
        weight = float(spec.get("weight", 1.0))
        for lang, terms in (spec.get("terms") or {}).items():
            if not isinstance(terms, dict):
                raise ValueError(f"{tax_path}: {kind} {name}.{lang} must map term -> weight")
            for term, w in terms.items():
                where = f"{tax_path}: {kind} {name}.{lang}"
                if not isinstance(term, str):
                    raise ValueError(f"{where}: term {term!r} is not a string (quote it in YAML)")
                for row in b.term_row(term, where):
                    # A term listed under several languages (or twice) counts once: max, not sum.
                    vec = b._row(row)[kind]
                    vec[index] = max(vec[index], weight * float(w))

    b.prime(
        [
            term
            for key in ("topics", "intents")
            for spec in doc[key].values()
            for terms in ((spec or {}).get("terms") or {}).values()
            if isinstance(terms, dict)
            for term in terms
            if isinstance(term, str)
        ]
    )
    for i, name in enumerate(topics):
        spec = doc["topics"][name] or {}
        topic_mag[i] = float((spec.get("sentiment") or {}).get("magnitude", 0.0))
        add_terms("topic", i, name, spec)
    for i, name in enumerate(intents):
        spec = doc["intents"][name] or {}
        intent_prior[i] = float(spec.get("prior", 0.0))
        position = spec.get("position") or {}
        intent_start[i] = float(position.get("start", 0.0))
        intent_end[i] = float(position.get("end", 0.0))
        intent_neg[i] = float((spec.get("sentiment") or {}).get("negative", 0.0))
        intent_pos[i] = float((spec.get("sentiment") or {}).get("positive", 0.0))
        add_terms("intent", i, name, spec)

    lex = doc.get("lexicons") or {}
    base = tax_path.parent
    default_base = default_taxonomy_path().parent

    def lexicon(rel: str) -> tuple[Path, list[list[str]]]:
        """A lexicon file next to the taxonomy, else the packaged one, read and tokenized."""
        p = base / rel if (base / rel).exists() else default_base / rel
        rows = _read_tsv(p)
        b.prime([row[0] for row in rows])
        return p, rows

    mod_path, mod_rows = lexicon(lex["modifiers"]) if lex.get("modifiers") else (None, [])
    negators = {row[0].lower() for row in mod_rows if len(row) > 1 and row[1] == "negator"}
    for rel in lex.get("sentiment", []):
        p, rows = lexicon(rel)
        for row in rows:
            if len(row) < 2:
                raise ValueError(f"{p}: expected term<TAB>valence, got {row!r}")
            # Emoticons and emoji state the writer's mood outright: a negator before them
            # ("still no cheque :(") does not flip them. A phrase that contains a negator
            # ("not bad", "pas content") already carries its negation, so another negator
            # around it ("je ne suis pas content") does not flip it back.
            negated_phrase = " " in row[0] and any(t in negators for t in b.tokens(row[0]))
            fixed = (
                p.name == "sentiment_emoji.tsv"
                or not re.search(r"[^\W\d_]", row[0])
                or negated_phrase
            )
            for r in b.term_row(row[0], str(p)):
                b._row(r)["valence"].append(float(row[1]))
                b._row(r)["fixed"] = b._row(r)["fixed"] or fixed
    if mod_path is not None:
        p = mod_path
        for row in mod_rows:
            if len(row) < 2:
                raise ValueError(f"{p}: expected term<TAB>kind[<TAB>value], got {row!r}")
            term, kind = row[0], row[1]
            value = row[2] if len(row) > 2 else ""
            for r in b.term_row(term, str(p)):
                feats = b._row(r)
                if kind == "negator":
                    # "after": only what comes before it (Japanese ない/ません follow the verb).
                    feats["neg_before"] = feats["neg_before"] or value != "after"
                    feats["neg_after"] = feats["neg_after"] or value in ("both", "after")
                elif kind == "booster":
                    feats["booster"] = float(value)
                elif kind == "booster_after":
                    feats["booster_after"] = float(value)
                elif kind == "contrast":
                    feats["contrast"] = True
                else:
                    raise ValueError(f"{p}: unknown modifier kind {kind!r} for {term!r}")

    # Plain words: tokens with no weights, so the Thai segmenter matches them whole and a
    # shorter term inside them ("ช้า" in "เช้า") does not fire.
    for rel in lex.get("words", []):
        for row in lexicon(rel)[1]:
            b.unigram(row[0])
    for p in PUNCTUATION:
        b.unigram(p)
    unigrams, phrase_rows, feats = b.finish()
    n_rows = len(unigrams) + len(phrase_rows)

    tables = {
        "topic": np.zeros((n_rows, len(topics)), np.float32),
        "intent": np.zeros((n_rows, len(intents)), np.float32),
        "valence": np.zeros(n_rows, np.float32),
        "booster": np.zeros(n_rows, np.float32),
        "booster_after": np.zeros(n_rows, np.float32),
        "neg_before": np.zeros(n_rows, np.float32),
        "neg_after": np.zeros(n_rows, np.float32),
        "contrast": np.zeros(n_rows, np.float32),
        "brk": np.zeros(n_rows, np.float32),
        "qmark": np.zeros(n_rows, np.float32),
        "excl": np.zeros(n_rows, np.float32),
        "span": np.ones(n_rows, np.float32),
        "fixed": np.zeros(n_rows, np.float32),
    }
    for row, f in feats.items():
        tables["topic"][row] = f["topic"]
        tables["intent"][row] = f["intent"]
        tables["valence"][row] = float(np.mean(f["valence"])) if f["valence"] else 0.0
        tables["booster"][row] = f["booster"]
        tables["booster_after"][row] = f["booster_after"]
        tables["neg_before"][row] = float(f["neg_before"])
        tables["neg_after"][row] = float(f["neg_after"])
        tables["contrast"][row] = float(f["contrast"])
        tables["fixed"][row] = float(f["fixed"])
    for p in PUNCTUATION:
        row = unigrams[p]
        tables["brk"][row] = 1.0
        tables["qmark"][row] = float("?" in p or "¿" in p)
        tables["excl"][row] = float(p.count("!"))

    keys, rows = [], []
    for ids, row in phrase_rows.items():
        tables["span"][row] = float(len(ids))
        prefix = ids[0] if len(ids) == 2 else phrase_rows[ids[:2]]
        keys.append(prefix * n_rows + ids[-1])
        rows.append(row)
    order = np.argsort(np.asarray(keys, np.int64)) if keys else np.zeros(0, np.int64)
    phrase_keys = np.asarray(keys, np.int64)[order] if keys else np.full(1, -1, np.int64)
    phrase_row_arr = np.asarray(rows, np.int32)[order] if rows else np.zeros(1, np.int32)

    phrase_start = np.zeros(n_rows, np.bool_)
    for ids in phrase_rows:
        phrase_start[ids[0]] = True
    terms = pl.DataFrame(
        {"term": list(unigrams), "tid": list(unigrams.values())},
        schema={"term": pl.String(), "tid": pl.Int32()},
    ).filter(pl.col("tid") > 0)
    # The segmenter's dictionary: every term written in Thai or Japanese script.
    unspaced = re.compile(UNSPACED_RANGE)
    thai = [t for t in unigrams if unspaced.search(t)]
    row_terms = list(unigrams) + [" ".join(str(i) for i in ids) for ids in phrase_rows]
    return Vocabulary(
        topics=topics,
        intents=intents,
        terms=terms,
        enum=pl.Enum(terms["term"].to_list()),
        thai_terms=thai,
        n_unigrams=len(unigrams),
        phrase_keys=phrase_keys,
        phrase_rows=phrase_row_arr,
        phrase_start=phrase_start,
        tables=tables,
        intent_prior=intent_prior,
        intent_start=intent_start,
        intent_end=intent_end,
        intent_neg=intent_neg,
        intent_pos=intent_pos,
        topic_mag=topic_mag,
        settings=settings,
        source=str(tax_path),
        row_terms=row_terms,
    )
