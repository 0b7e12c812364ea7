"""Fit the learned layer on the chat_eval *train* split, choosing settings by cross-validation.

Honesty: this script reads only rows with `split == train` (the frozen test split is dropped
right after reading, before anything else looks at the rows). Model choices (L2, steps, class
balance, extra data) are made by k-fold cross-validation inside the train split; the chosen
configuration is then fitted on the whole train split and written to `--out`. The test split
is scored once, afterwards, by `benchmarks/chat_eval.py --weights`.

Extra training data: the old taxonomy-written set `benchmarks/data/topic_intent_eval.tsv`
(topic and intent labels, this repository's own data) when `--old-set` is given; in the CV it
is only ever added to the training folds, never scored.

    .venv/bin/python benchmarks/chat_fit.py --cv                 # the CV table, train split only
    .venv/bin/python benchmarks/chat_fit.py --out W.npz          # fit the chosen config, write it
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chat_eval import DATA, OLD_SET, gold_column, labeled, macro_f1_ids, read_eval  # noqa: E402

from analytics_assets.defs.categorization.engine import Categorizer  # noqa: E402
from analytics_assets.defs.categorization.engine import learned  # noqa: E402

TASKS = ("topic", "intent", "sentiment")
FOLDS = 5


def train_rows(path: Path = DATA) -> pl.DataFrame:
    """The labeled rows of the train split, and nothing of the test split."""
    df = read_eval(path).filter(pl.col("split") == "train")
    return labeled(df)


def fold_of(ids: list[str], folds: int = FOLDS) -> np.ndarray:
    """A fixed fold per row id (sha256 of the id, like the split itself)."""
    return np.asarray(
        [int(hashlib.sha256(f"fold:{i}".encode()).hexdigest(), 16) % folds for i in ids]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cv", action="store_true", help="print the CV table")
    parser.add_argument("--out", default=None, help="write the chosen weights here")
    parser.add_argument("--old-set", action="store_true", help="add topic_intent_eval.tsv")
    args = parser.parse_args()

    cat = Categorizer(weights_path=None, use_packaged_weights=False)
    train = train_rows()
    print(f"train rows: {train.height} ({dict(train.group_by('lang').len().iter_rows())})")
    texts = train["text"]
    raw = cat.raw_scores(texts)
    hashed = learned.hashed_features(texts)
    old = pl.read_csv(OLD_SET, separator="\t", quote_char=None, infer_schema=False)
    old_raw = cat.raw_scores(old["text"])
    old_hashed = learned.hashed_features(old["text"])
    folds = fold_of(train["id"].to_list())

    grid = {
        "l2": [1e-5, 1e-4, 1e-3],
        "class_balance": [0.5, 1.0],
        "old": [False, True],
    }
    chosen: dict[str, dict] = {}
    for task in TASKS:
        classes = learned.task_classes(cat, task)
        index = {c: i for i, c in enumerate(classes)}
        y = np.asarray([index[x] for x in train[gold_column(train, task)].to_list()], np.int32)
        dense = learned.dense_features(raw, task)
        rules = raw.labels[task]
        rules_f1 = macro_f1_ids(y, rules, len(classes))
        old_ok = task in ("topic", "intent")
        old_y = (
            np.asarray([index[x] for x in old[task].to_list()], np.int32) if old_ok else None
        )
        old_dense = learned.dense_features(old_raw, task)
        results = []
        for l2, cb, use_old in itertools.product(*grid.values()):
            if use_old and not old_ok:
                continue
            t0 = time.perf_counter()
            pred = np.zeros(len(y), np.int32)
            for f in range(FOLDS):
                tr, te = folds != f, folds == f
                d, ids, w, yy = dense[tr], hashed[0][tr], hashed[1][tr], y[tr]
                if use_old:
                    d = np.concatenate([d, old_dense])
                    ids = np.concatenate([ids, old_hashed[0]])
                    w = np.concatenate([w, old_hashed[1]])
                    yy = np.concatenate([yy, old_y])
                scale = np.maximum(d.std(axis=0), 1e-3).astype(np.float32)
                params, _ = learned.fit_softmax(
                    d / scale, ids, w, yy, len(classes), l2=l2, class_balance=cb
                )
                probs = np.asarray(
                    learned._predict(params, dense[te] / scale, hashed[0][te], hashed[1][te])
                )
                pred[te] = probs.argmax(axis=1)
            f1 = macro_f1_ids(y, pred, len(classes))
            results.append(((l2, cb, use_old), f1))
            if args.cv:
                print(
                    f"{task:9s} l2={l2:g} balance={cb} old={use_old}: CV macro-F1 {f1:.3f} "
                    f"(rules {rules_f1:.3f}) {time.perf_counter() - t0:.1f}s",
                    flush=True,
                )
        best, best_f1 = max(results, key=lambda r: r[1])
        chosen[task] = {"l2": best[0], "class_balance": best[1], "old": best[2]}
        print(f"{task}: chosen {chosen[task]} CV {best_f1:.3f} vs rules {rules_f1:.3f}")

    if args.out:
        out = Path(args.out)
        if out.exists():
            out.unlink()
        for task in TASKS:
            cfg = chosen[task]
            t, lab = train["text"], train[gold_column(train, task)]
            if cfg["old"]:
                t = pl.concat([t, old["text"]])
                lab = pl.concat([lab, old[task]])
            result = learned.fit_task(
                cat, t, lab, task, l2=cfg["l2"], class_balance=cfg["class_balance"]
            )
            learned.save(result, out)
            print(f"wrote {task} ({len(t)} rows, train accuracy {result.train_accuracy:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
