"""Label shares per language on the `make run` demo data: are the labels sensible?

Run after `make run`: `.venv/bin/python benchmarks/demo_labels.py [--lake .data/lake]`

Reads `categorized_messages` from the Parquet lake (the labels the pipeline stored) and prints,
per message language: messages, share of topic `other`, share of neutral sentiment, share of
complaint-intent messages read as neutral, and the three most common intents. With `--rescore`
it also scores the stored queries (`raw_messages.query`) with the current engine and prints
how many sentiment and intent labels differ from the stored ones: the before/after of a
lexicon or taxonomy change without running the pipeline again. `--sample N` prints N stored
rows per language (seeded) with the user's query beside its labels, to read them by eye.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from analytics_assets.settings import get_settings


def shares(labels: pl.DataFrame) -> pl.DataFrame:
    """Per language: counts and label shares (rounded to the percent)."""
    complaint = pl.col("intent") == "complaint"
    neutral = pl.col("sentiment") == "neutral"
    top = labels.group_by("language", "intent").len().sort("len", descending=True)
    top_intents = top.group_by("language", maintain_order=True).agg(
        top_intents=pl.format("{} {}", "intent", "len").head(3).str.join(", ")
    )
    return (
        labels.group_by("language")
        .agg(
            messages=pl.len(),
            other=(pl.col("topic") == "other").mean().round(2),
            neutral=neutral.mean().round(2),
            complaints=complaint.sum(),
            complaint_neutral=(complaint & neutral).sum() / complaint.sum().clip(1),
        )
        .with_columns(pl.col("complaint_neutral").round(2))
        .join(top_intents, on="language")
        .sort("messages", descending=True)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", default=get_settings().lake)
    parser.add_argument("--rescore", action="store_true")
    parser.add_argument("--sample", type=int, default=0, help="rows per language to print")
    args = parser.parse_args()
    lake = Path(args.lake)
    labels = pl.read_parquet(lake / "categorized_messages" / "**" / "*.parquet")
    pl.Config.set_tbl_rows(20)
    pl.Config.set_tbl_width_chars(200)
    pl.Config.set_fmt_str_lengths(80)
    print(f"{labels.height:,} messages in {lake}")
    print(shares(labels))
    if args.rescore or args.sample:
        raw = pl.read_parquet(lake / "raw_messages" / "**" / "*.parquet")
        both = labels.join(
            raw.select(pl.col("id").alias("message_id"), "query"), on="message_id", how="inner"
        )
    if args.sample:
        sample = (
            both.sort("message_id")
            .filter(pl.int_range(pl.len()).shuffle(seed=7).over("language") < args.sample)
            .sort("language", "message_id")
            .select("language", "query", "topic", "intent", "sentiment", "answer_sentiment")
        )
        with pl.Config(tbl_rows=args.sample * 10, fmt_str_lengths=70):
            print(sample)
    if args.rescore:
        from analytics_assets.defs.categorization.engine import categorize

        now = categorize(both["query"])
        for column in ("sentiment", "intent", "topic"):
            changed = int((both[column] != now[column]).sum())
            print(f"{column}: {changed:,} of {both.height:,} labels differ from the stored ones")
        print("with the current engine:")
        print(shares(both.with_columns(now.select("topic", "intent", "sentiment"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
