"""Macro-F1 of `categorize()` on the independent chat evaluation set (benchmarks/data/chat_eval).

The set was written from scenario briefs by authors who did not see the taxonomy or the
lexicons, and labeled by labelers who saw only GUIDELINES.md (docs/evaluation-data.md).
By default only the frozen `test` split is scored; `--split train` scores the training half
(the only half a tuning step may read). Rows without labels yet are skipped.

Reported, as markdown: macro-F1 overall and per language with seeded bootstrap 95% intervals
(rows resampled with replacement within the group), per-class precision / recall / F1,
confusion matrices (rows = gold, columns = predicted), Cohen's kappa between the two labelers
where the second labeler's columns (`topic_b`, `intent_b`, `sentiment_b`) exist, and the
macro-F1 on the old, taxonomy-written set (`topic_intent_eval.tsv`) for the same engine.

    .venv/bin/python benchmarks/chat_eval.py [--split test|train|all] [--weights W.npz | --rules]

`--rules` scores the packaged rules alone (no learned weights), `--weights` a given `.npz`;
without either, the default `categorize()` configuration is scored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "chat_eval" / "messages.tsv"
OLD_SET = HERE / "data" / "topic_intent_eval.tsv"
FIELDS = ("topic", "intent", "sentiment")
BOOTSTRAP = 1000
SEED = 17


def read_eval(path: Path = DATA) -> pl.DataFrame:
    """All rows of the evaluation TSV (label columns as text, empty = not labeled)."""
    return pl.read_csv(path, separator="\t", quote_char=None, infer_schema=False)


def gold_column(df: pl.DataFrame, field: str) -> str:
    """The gold label column of `field`: the adjudicated one (`topic`, `intent`, `sentiment`:
    labeler a's label, or the adjudicated one where the two labelers disagreed) where the set
    has it, else labeler a's."""
    for name in (field, f"{field}_gold", f"{field}_adjudicated"):
        if name in df.columns:
            return name
    return f"{field}_a"


def labeled(df: pl.DataFrame) -> pl.DataFrame:
    """Rows whose first labeler's topic is set (th/vi rows can still be unlabeled)."""
    col = gold_column(df, "topic")
    return df.filter(pl.col(col).is_not_null() & (pl.col(col).str.strip_chars() != ""))


def confusion(gold: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """[k, k] counts, rows gold, columns predicted (class ids 0..k-1)."""
    return np.bincount(gold * k + pred, minlength=k * k).reshape(k, k)


def f1_per_class(cm: np.ndarray) -> np.ndarray:
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)


def macro_f1_ids(gold: np.ndarray, pred: np.ndarray, k: int) -> float:
    """Macro-F1 over the classes present in `gold` (absent classes are not averaged in)."""
    cm = confusion(gold, pred, k)
    present = cm.sum(axis=1) > 0
    return float(f1_per_class(cm)[present].mean()) if present.any() else 0.0


def macro_f1(gold: list[str], pred: list[str]) -> float:
    """Macro-F1 over the gold classes of two label lists."""
    classes = sorted(set(gold) | set(pred))
    index = {c: i for i, c in enumerate(classes)}
    g = np.asarray([index[x] for x in gold], np.int64)
    p = np.asarray([index[x] for x in pred], np.int64)
    return macro_f1_ids(g, p, len(classes))


def bootstrap_interval(
    gold: np.ndarray, pred: np.ndarray, k: int, n: int = BOOTSTRAP, seed: int = SEED
) -> tuple[float, float]:
    """Percentile 95% interval of macro-F1 over `n` seeded resamples of the rows."""
    rng = np.random.default_rng(seed)
    m = len(gold)
    if m == 0:
        return 0.0, 0.0
    stats = np.empty(n)
    for i in range(n):
        idx = rng.integers(0, m, m)
        stats[i] = macro_f1_ids(gold[idx], pred[idx], k)
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return float(lo), float(hi)


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two labelers over the same rows."""
    classes = sorted(set(a) | set(b))
    index = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    cm = confusion(
        np.asarray([index[x] for x in a], np.int64), np.asarray([index[x] for x in b], np.int64), k
    ).astype(float)
    total = cm.sum()
    if total == 0:
        return float("nan")
    po = np.trace(cm) / total
    pe = float((cm.sum(axis=0) * cm.sum(axis=1)).sum()) / total**2
    return float((po - pe) / (1 - pe)) if pe < 1 else 1.0


def three_class(labels: pl.Series) -> pl.Series:
    """Sentiment with `mixed` counted as `neutral` (the issue's 3-class figure)."""
    return labels.replace("mixed", "neutral")


def encode(gold: pl.Series, pred: pl.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    classes = sorted(set(gold.to_list()) | set(pred.to_list()))
    index = {c: i for i, c in enumerate(classes)}
    g = np.asarray([index[x] for x in gold.to_list()], np.int64)
    p = np.asarray([index[x] for x in pred.to_list()], np.int64)
    return g, p, classes


def score_table(df: pl.DataFrame, pred: pl.DataFrame, bootstrap: int = BOOTSTRAP) -> str:
    """Markdown: macro-F1 [95% interval] per field, overall and per language."""
    columns = [*FIELDS, "sentiment3"]
    lines = [
        "| lang | n | topic | intent | sentiment 4-class | sentiment 3-class |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    langs = ["all", *sorted(set(df["lang"].to_list()))]
    for lang in langs:
        mask = np.ones(df.height, bool) if lang == "all" else (df["lang"] == lang).to_numpy()
        cells = []
        for col in columns:
            field = "sentiment" if col == "sentiment3" else col
            gold = df[gold_column(df, field)].filter(mask)
            guess = pred[field].filter(mask)
            if col == "sentiment3":
                gold, guess = three_class(gold), three_class(guess)
            g, p, classes = encode(gold, guess)
            f1 = macro_f1_ids(g, p, len(classes))
            lo, hi = bootstrap_interval(g, p, len(classes), n=bootstrap)
            cells.append(f"{f1:.3f} [{lo:.2f}, {hi:.2f}]")
        lines.append(f"| {lang} | {int(mask.sum())} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_class_table(df: pl.DataFrame, pred: pl.DataFrame, field: str) -> str:
    """Markdown: precision, recall, F1 and gold support of each class of `field`."""
    g, p, classes = encode(df[gold_column(df, field)], pred[field])
    cm = confusion(g, p, len(classes))
    f1 = f1_per_class(cm)
    lines = [f"| {field} | support | precision | recall | F1 |", "|---|---:|---:|---:|---:|"]
    for i, c in enumerate(classes):
        tp, col, row = cm[i, i], cm[:, i].sum(), cm[i, :].sum()
        prec = tp / col if col else 0.0
        rec = tp / row if row else 0.0
        lines.append(f"| {c} | {row} | {prec:.2f} | {rec:.2f} | {f1[i]:.2f} |")
    return "\n".join(lines)


def confusion_table(df: pl.DataFrame, pred: pl.DataFrame, field: str) -> str:
    """Markdown confusion matrix of `field`: rows gold, columns predicted."""
    g, p, classes = encode(df[gold_column(df, field)], pred[field])
    cm = confusion(g, p, len(classes))
    short = [c[:6] for c in classes]
    lines = [
        f"| gold \\ pred ({field}) | " + " | ".join(short) + " |",
        "|---|" + "---:|" * len(classes),
    ]
    for i, c in enumerate(classes):
        lines.append(f"| {c} | " + " | ".join(str(x) for x in cm[i]) + " |")
    return "\n".join(lines)


def kappa_table(df: pl.DataFrame) -> str | None:
    """Markdown: Cohen's kappa between labelers a and b per field, or None without `_b`."""
    if not all(f"{f}_b" in df.columns for f in FIELDS):
        return None
    lines = ["| field | rows labeled twice | agreement | Cohen's kappa |", "|---|---:|---:|---:|"]
    for field in FIELDS:
        both = df.filter(
            pl.col(f"{field}_a").is_not_null()
            & (pl.col(f"{field}_a") != "")
            & pl.col(f"{field}_b").is_not_null()
            & (pl.col(f"{field}_b") != "")
        )
        a, b = both[f"{field}_a"].to_list(), both[f"{field}_b"].to_list()
        agree = sum(x == y for x, y in zip(a, b, strict=True)) / max(len(a), 1)
        lines.append(f"| {field} | {len(a)} | {agree:.3f} | {cohen_kappa(a, b):.3f} |")
    return "\n".join(lines)


def old_set_figures(categorize) -> str:  # type: ignore[no-untyped-def]
    """Macro-F1 on the old taxonomy-written set, for the same configuration."""
    old = pl.read_csv(OLD_SET, separator="\t", quote_char=None, infer_schema=False)
    pred = categorize(old["text"])
    topic = macro_f1(old["topic"].to_list(), pred["topic"].to_list())
    intent = macro_f1(old["intent"].to_list(), pred["intent"].to_list())
    name = f"old set (topic_intent_eval.tsv, {old.height} rows)"
    return f"{name}: topic {topic:.3f}, intent {intent:.3f}"


def make_categorize(weights: str | None, rules: bool):  # type: ignore[no-untyped-def]
    """The scoring function: default `categorize`, the rules alone, or a given weights file."""
    from analytics_assets.defs.categorization.engine import Categorizer, categorize

    if rules:
        return Categorizer(weights_path=None, use_packaged_weights=False).categorize
    if weights:
        return Categorizer(weights_path=weights).categorize
    return categorize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["test", "train", "all"], default="test")
    parser.add_argument("--weights", default=None, help="learned weights .npz to score")
    parser.add_argument("--rules", action="store_true", help="score the rules alone")
    parser.add_argument("--bootstrap", type=int, default=BOOTSTRAP)
    args = parser.parse_args()
    full = read_eval()
    print(kappa_table(full) or "(no second labeler columns yet: no kappa)")
    df = labeled(full)
    if args.split != "all":
        df = df.filter(pl.col("split") == args.split)
    categorize = make_categorize(args.weights, args.rules)
    pred = categorize(df["text"])
    print(f"\nsplit={args.split} rows={df.height} gold={gold_column(df, 'topic')}\n")
    print(score_table(df, pred, bootstrap=args.bootstrap))
    for field in FIELDS:
        print()
        print(per_class_table(df, pred, field))
        print()
        print(confusion_table(df, pred, field))
    print()
    print(old_set_figures(categorize))


if __name__ == "__main__":
    main()
