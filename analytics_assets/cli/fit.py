"""`analytics-assets fit-categorizer`: fit learned weights for one task from a labeled TSV.

    analytics-assets fit-categorizer --data labeled.tsv --task sentiment --out weights.npz

The TSV has a header with (at least) the columns `text` and `label`; labels are classes of the
taxonomy in use (`CATEGORIZER_TAXONOMY` or the packaged one): sentiment positive | negative |
neutral | mixed, or a topic / intent name. The weights go into `--out` (other tasks already in
that file are kept); point `CATEGORIZER_WEIGHTS` at it to make the asset use them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl


def read_labeled(path: Path) -> pl.DataFrame:
    """`text` and `label` columns of a tab-separated file with a header (quotes are literal)."""
    if not path.exists():
        raise ValueError(f"labeled data not found: {path}")
    df = pl.read_csv(
        path,
        separator="\t",
        quote_char=None,
        infer_schema=False,
        truncate_ragged_lines=False,
    )
    missing = [c for c in ("text", "label") if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: header lacks columns {missing} (found {df.columns})")
    df = df.select(pl.col("text").fill_null(""), pl.col("label").str.strip_chars())
    empty = df.filter(pl.col("label").is_null() | (pl.col("label") == "")).height
    if empty:
        raise ValueError(f"{path}: {empty} rows have no label")
    return df


def run_fit(args: argparse.Namespace) -> int:
    from analytics_assets.defs.categorization.engine import Categorizer
    from analytics_assets.defs.categorization.engine.learned import fit_task, save

    try:
        data = read_labeled(Path(args.data))
        # Fitted on the rule features alone: packaged learned weights never feed a new fit.
        categorizer = Categorizer(
            taxonomy_path=args.taxonomy or None, device=args.device, use_packaged_weights=False
        )
        result = fit_task(
            categorizer,
            data["text"],
            data["label"],
            args.task,
            steps=args.steps,
            lr=args.lr,
            l2=args.l2,
            class_balance=args.class_balance,
            calibrate_folds=args.calibrate_folds,
        )
    except ValueError as exc:
        print(f"fit-categorizer: {exc}", file=sys.stderr)
        return 2
    save(result, args.out)
    counts = data.group_by("label").len().sort("label")
    print(f"fitted {args.task} on {data.height} rows ({categorizer.device_name})")
    print(
        "  classes: " + ", ".join(f"{r['label']}={r['len']}" for r in counts.iter_rows(named=True))
    )
    print(f"  loss {result.losses[0]:.4f} -> {result.losses[-1]:.4f}")
    print(f"  training accuracy {result.train_accuracy:.3f}")
    if result.cv_macro_f1 is not None:
        print(
            f"  out-of-fold macro-F1 {result.cv_macro_f1:.3f} ({args.calibrate_folds} folds), "
            f"confidence temperature {result.temperature:.2f}"
        )
    print(f"  wrote {args.out} (set CATEGORIZER_WEIGHTS to use it)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fit-categorizer",
        help="fit learned categorizer weights from a labeled TSV",
        description="Fit softmax-regression weights (JAX, Adam) over the categorizer's lexicon "
        "features and hashed word/character n-grams for one task, and write them to a .npz.",
    )
    parser.add_argument("--data", required=True, help="TSV with a header: text<TAB>label")
    parser.add_argument("--task", required=True, choices=("sentiment", "topic", "intent"))
    parser.add_argument("--out", required=True, help="weights file (.npz) to write or update")
    parser.add_argument("--taxonomy", default="", help="taxonomy YAML (default: configured)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "gpu"))
    parser.add_argument("--steps", type=int, default=300, help="Adam steps (full batch)")
    parser.add_argument("--lr", type=float, default=0.05, help="Adam learning rate")
    parser.add_argument("--l2", type=float, default=1e-4, help="L2 penalty")
    parser.add_argument(
        "--class-balance",
        type=float,
        default=1.0,
        help="exponent of the balanced class weights (1 balanced, 0 as the data is)",
    )
    parser.add_argument(
        "--calibrate-folds",
        type=int,
        default=5,
        help="folds for the out-of-fold macro-F1 and the confidence temperature (0: skip)",
    )
    parser.set_defaults(handler=run_fit)
