"""Topic and intent accuracy on our hand-written labeled chat set (benchmarks/data/).

Run: `.venv/bin/python benchmarks/categorization_topics.py`

`benchmarks/data/topic_intent_eval.tsv`: 551 chatbot user messages written for this project
(English, Thai, German, Spanish, French; Portuguese, Vietnamese, Japanese from id 414), each
labeled by hand with one topic and one intent of the default taxonomy. Split discipline: rows
with an even `id` are the dev half (the taxonomy terms were adjusted while looking at them);
rows with an odd `id` are held out and were not looked at when tuning. Per-class F1 is
reported on the held-out half, with macro-F1 on both halves and accuracy per language (all
rows, held-out, dev).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from categorization_data import macro_f1  # noqa: E402

from analytics_assets.defs.categorization.engine import Categorizer  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "topic_intent_eval.tsv"


def load() -> pl.DataFrame:
    return pl.read_csv(DATA, separator="\t", quote_char=None, schema_overrides={"id": pl.Int64})


def main() -> int:
    df = load()
    cat = Categorizer(device="cpu")
    pred = cat.categorize(df["text"])
    df = df.with_columns(pred_topic=pred["topic"], pred_intent=pred["intent"])
    dev = df.filter(pl.col("id") % 2 == 0)
    test = df.filter(pl.col("id") % 2 == 1)
    print(
        f"{df.height} messages ({dev.height} dev, {test.height} held-out), languages: "
        + ", ".join(
            f"{r['lang']}={r['len']}"
            for r in df.group_by("lang").len().sort("lang").iter_rows(named=True)
        )
    )
    for task, classes in (("topic", cat.topic_names), ("intent", cat.intent_names)):
        f1_test, per = macro_f1(test[task], test[f"pred_{task}"], classes)
        f1_dev, _ = macro_f1(dev[task], dev[f"pred_{task}"], classes)
        acc_test = (test[task] == test[f"pred_{task}"]).mean()
        print(
            f"\n### {task}: macro-F1 held-out {f1_test:.3f} (dev {f1_dev:.3f}), "
            f"held-out accuracy {acc_test:.3f}\n"
        )
        print(f"| {task} | held-out support | held-out F1 |")
        print("|---|---:|---:|")
        for c in classes:
            support = test.filter(pl.col(task) == c).height
            print(f"| {c} | {support} | {per[c]:.2f} |")
        for label, rows in (("all rows", df), ("held-out", test), ("dev", dev)):
            by_lang = (
                rows.group_by("lang")
                .agg(acc=(pl.col(task) == pl.col(f"pred_{task}")).mean(), n=pl.len())
                .sort("lang")
            )
            print(
                f"\naccuracy by language ({label}): "
                + ", ".join(
                    f"{r['lang']} {r['acc']:.2f} (n={r['n']})"
                    for r in by_lang.iter_rows(named=True)
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
