"""Thai segmentation: the engine's dictionary segmenter vs pythainlp's `newmm`, accuracy and speed.

    .venv/bin/python benchmarks/thai_segmenter.py [--sentences 2000] [--repeat 3]

What the engine needs from a segmenter is the lexicon's Thai words, found where they are words:
a Thai text has no spaces, so a missed word is a lost signal and a word "found" inside another
word (or across two) is a false one. Both are measured:

* **Accuracy, synthetic gold.** Seeded sentences of 4-14 words without spaces, each word drawn
  from the lexicon's Thai terms (30%) or pythainlp's bundled Thai word list (70%); the gold
  hits are the lexicon terms at their known offsets. Precision / recall / F1 of the lexicon
  hits (term and start offset) of each segmenter. Caveat: the filler words come from
  pythainlp's own dictionary, which favours `newmm` (every gold word is in its dictionary).
* **Agreement on real chat**: the Thai texts of the chat_eval *train* split (the test split is
  not read): share of lexicon hits both segmenters find.
* **Speed**: Thai messages per second, the train-split Thai texts repeated to `--messages`.

pythainlp 5.4.0 (Apache-2.0) is fetched with pip into the git-ignored `benchmarks/.cache/`
(its bundled dictionary, no download at run time); `newmm` runs with that dictionary plus the
lexicon's Thai terms, so both segmenters know every lexicon word.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from categorization_data import CACHE, _pip_download  # noqa: E402
from chat_eval import labeled, read_eval  # noqa: E402

from analytics_assets.defs.categorization.engine import Categorizer  # noqa: E402
from analytics_assets.defs.categorization.engine.tokenize import (  # noqa: E402
    THAI_RANGE,
    segment_thai,
)


def pythainlp_module():  # type: ignore[no-untyped-def]
    """pythainlp from its wheel, unpacked into benchmarks/.cache (no network at run time)."""
    dest = CACHE / "pythainlp"
    unpacked = dest / "unpacked"
    if not (unpacked / "pythainlp").exists():
        wheel = _pip_download("pythainlp==5.4.0", dest / "wheel", source=False)
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(unpacked)
    sys.path.insert(0, str(unpacked))
    os.environ.setdefault("PYTHAINLP_DATA_DIR", str(dest / "data"))
    import pythainlp  # noqa: PLC0415

    return pythainlp


def hits_engine(texts: list[str], terms: set[str], thai_terms: list[str]) -> list[set]:
    """(start, term) of every lexicon term the engine's segmenter delimits, per text."""
    seg = segment_thai(pl.Series(texts), thai_terms).to_list()
    out = []
    for original, s in zip(texts, seg, strict=True):
        found, pos = set(), 0
        for tok in s.split(" "):
            if not tok:
                continue
            if tok == ",":
                continue
            at = original.find(tok, pos)
            if at < 0:
                continue
            if tok in terms:
                found.add((at, tok))
            pos = at + len(tok)
        out.append(found)
    return out


def hits_newmm(texts: list[str], terms: set[str], tokenize) -> list[set]:  # type: ignore[no-untyped-def]
    out = []
    for t in texts:
        found, pos = set(), 0
        for tok in tokenize(t):
            if tok in terms:
                found.add((pos, tok))
            pos += len(tok)
        out.append(found)
    return out


def prf(gold: list[set], pred: list[set]) -> tuple[float, float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    return prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    thai = pythainlp_module()
    from pythainlp.corpus import thai_words  # noqa: PLC0415
    from pythainlp.tokenize import Trie, word_tokenize  # noqa: PLC0415

    cat = Categorizer(device="cpu", use_packaged_weights=False)
    thai_terms = cat.vocab.thai_terms
    terms = {t for t in thai_terms if pl.Series([t]).str.contains(f"^{THAI_RANGE}+$")[0]}
    words = sorted(thai_words())
    trie = Trie(set(words) | terms)

    def newmm(text: str) -> list[str]:
        return word_tokenize(text, engine="newmm", custom_dict=trie, keep_whitespace=True)

    rng = np.random.default_rng(11)
    term_list = sorted(terms)
    texts, gold = [], []
    for _ in range(args.sentences):
        parts, found, pos = [], set(), 0
        for _ in range(int(rng.integers(4, 15))):
            if rng.random() < 0.3:
                w = term_list[int(rng.integers(len(term_list)))]
                found.add((pos, w))
            else:
                w = words[int(rng.integers(len(words)))]
                if w in terms:
                    found.add((pos, w))
            parts.append(w)
            pos += len(w)
        texts.append("".join(parts))
        gold.append(found)
    print(
        f"pythainlp {thai.__version__}; {len(terms):,} lexicon Thai terms; "
        f"{len(words):,} dictionary words; {len(texts):,} synthetic sentences"
    )
    for name, pred in (
        ("engine (leftmost-longest, lexicon terms)", hits_engine(texts, terms, thai_terms)),
        ("pythainlp newmm (dictionary + lexicon terms)", hits_newmm(texts, terms, newmm)),
    ):
        p, r, f = prf(gold, pred)
        print(f"| {name} | {p:.3f} | {r:.3f} | {f:.3f} |")

    real = labeled(read_eval()).filter((pl.col("split") == "train") & (pl.col("lang") == "th"))
    if real.height == 0:
        real = read_eval().filter((pl.col("split") == "train") & (pl.col("lang") == "th"))
    real_texts = real["text"].to_list()
    a = hits_engine(real_texts, terms, thai_terms)
    b = hits_newmm(real_texts, terms, newmm)
    both = sum(len(x & y) for x, y in zip(a, b, strict=True))
    print(
        f"train-split Thai texts: {len(real_texts)}; lexicon hits engine {sum(map(len, a))}, "
        f"newmm {sum(map(len, b))}, both {both}"
    )

    batch = (real_texts * (args.messages // max(len(real_texts), 1) + 1))[: args.messages]
    series = pl.Series(batch)
    best_e = best_n = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        segment_thai(series, thai_terms)
        best_e = min(best_e, time.perf_counter() - t)
        t = time.perf_counter()
        for text in batch:
            newmm(text)
        best_n = min(best_n, time.perf_counter() - t)
    load = os.getloadavg()
    print(
        f"speed on {len(batch):,} Thai messages (best of {args.repeat}, load {load[0]:.1f}): "
        f"engine {len(batch) / best_e:,.0f} msg/s, newmm {len(batch) / best_n:,.0f} msg/s "
        f"({best_n / best_e:.0f}x slower)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
