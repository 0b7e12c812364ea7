"""Macro-F1 of `categorize()` on the independent chat evaluation set (benchmarks/data/chat_eval).

The set was written from scenario briefs by authors who did not see the taxonomy or the
lexicons, and labeled by a labeler who saw only GUIDELINES.md (docs/evaluation-data.md).
By default only the frozen `test` split is scored; `--split train` scores the training half
(the only half a tuning step may read). Rows without labels yet (th, vi) are skipped.

    .venv/bin/python benchmarks/chat_eval.py [--split test|train|all]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from analytics_assets.defs.categorization.engine import categorize

DATA = Path(__file__).resolve().parent / "data" / "chat_eval" / "messages.tsv"


def macro_f1(gold: list[str], pred: list[str]) -> float:
    classes = sorted(set(gold))
    scores = []
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return sum(scores) / len(scores)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["test", "train", "all"], default="test")
    args = parser.parse_args()
    # Gold labels are `topic`/`intent`/`sentiment` (docs/evaluation-data.md); the engine's
    # answers get a `pred_` prefix.
    df = pl.read_csv(DATA, separator="\t", quote_char=None, infer_schema=False).filter(
        pl.col("topic") != ""
    )
    if args.split != "all":
        df = df.filter(pl.col("split") == args.split)
    predicted = categorize(df["text"]).select(pl.all().name.prefix("pred_"))
    out = pl.concat([df, predicted], how="horizontal")
    print(f"split={args.split} rows={out.height}")
    print("| lang | n | topic | intent | sentiment 4-class |")
    print("|---|---:|---:|---:|---:|")
    for lang, part in [("all", out), *sorted(out.group_by("lang"), key=lambda kv: kv[0][0])]:
        name = lang if isinstance(lang, str) else lang[0]
        figures = [
            macro_f1(part[field].to_list(), part[f"pred_{field}"].to_list())
            for field in ("topic", "intent", "sentiment")
        ]
        print(f"| {name} | {part.height} | " + " | ".join(f"{f:.3f}" for f in figures) + " |")


if __name__ == "__main__":
    main()
