"""Speed: `categorize` over 1M real chat messages vs VADER on the same texts, same run.

Run: `.venv/bin/python benchmarks/categorization_speed.py [--messages 1000000] [--vader 20000]`

* Texts: every message of `chitchat-dataset==0.9.0` (~258k real chat turns, fetched at run
  time into `benchmarks/.cache/`), repeated in file order up to `--messages` (1M = the corpus
  3.9 times). `categorize` sees every message (no deduplication).
* Ours: `Categorizer(device=cpu)` with the packaged learned weights (`--weights` another file,
  `--rules` the rules alone); compile time is measured separately by a warm-up call on
  the same shapes, so the timed runs measure scoring only (tokenize + JAX + frame). Two runs:
  the 1M list as is (it repeats the corpus, so the engine's deduplication of repeated texts
  applies), and the 1M list with every message made distinct (its index appended as one more
  token), which is the worst case for deduplication.
* VADER 3.3.2 `SentimentIntensityAnalyzer.polarity_scores` on the first `--vader` messages of
  the same list (a pure-Python loop; its per-message cost does not depend on the count), and
  our engine again on exactly those messages, so the ratio compares like with like (best of
  `--repeat` runs each, alternating). The load average is printed before and after.
* This machine is shared, and its load moves within seconds; so the 1M runs also report, per
  run, the ratio to VADER on the same 20k timed just before that run (median of the pairs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from categorization_data import chitchat_messages  # noqa: E402

from analytics_assets.defs.categorization.engine import Categorizer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--vader", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--weights", default=None, help="learned weights .npz (default: packaged)")
    parser.add_argument("--rules", action="store_true", help="the rules alone, no learned layer")
    args = parser.parse_args()

    corpus = chitchat_messages()
    reps = args.messages // corpus.len() + 1
    texts = pl.concat([corpus] * reps)[: args.messages]
    load = os.getloadavg()
    print(
        f"corpus {corpus.len():,} messages, mean {corpus.str.len_chars().mean():.1f} chars; "
        f"timing {texts.len():,}; load average {load[0]:.1f}/{load[1]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )

    t0 = time.perf_counter()
    cat = Categorizer(device="cpu", weights_path=args.weights, use_packaged_weights=not args.rules)
    load_s = time.perf_counter() - t0
    tasks = sorted(cat.weights.tasks) if cat.weights is not None else []
    print(f"learned layer: {', '.join(tasks) if tasks else 'off (rules only)'}")
    compile_s = cat.warmup()
    print(
        f"vocabulary load {load_s:.2f}s, compile (all {len(cat._shapes)} shapes) {compile_s:.2f}s "
        f"on {cat.device_name}"
    )

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    subset = texts.head(args.vader)
    analyzer = SentimentIntensityAnalyzer()
    subset_list = subset.to_list()

    def vader_seconds() -> float:
        t = time.perf_counter()
        for text in subset_list:
            analyzer.polarity_scores(text)
        return time.perf_counter() - t

    def timed(batch: pl.Series) -> tuple[float, dict[str, float], list[float]]:
        """Best of `--repeat` runs, and per run the ratio to VADER timed just before it."""
        best, timings, paired = float("inf"), {}, []
        for _ in range(args.repeat):
            vader_rate = subset.len() / vader_seconds()
            t = time.perf_counter()
            out = cat.categorize(batch)
            elapsed = time.perf_counter() - t
            assert out.height == batch.len()
            paired.append(batch.len() / elapsed / vader_rate)
            if elapsed < best:
                best, timings = elapsed, dict(cat.last_timings)
        return best, timings, paired

    def paired_text(paired: list[float]) -> str:
        runs = ", ".join(f"{r:.1f}x" for r in paired)
        median = statistics.median(paired)
        return f"paired with VADER just before each run: median {median:.1f}x ({runs})"

    # As the corpus is: 1M = chitchat x3.9, so the engine's deduplication applies.
    best, timings, paired = timed(texts)
    print(
        f"ours, 1M as is ({timings['distinct']:,.0f} distinct, deduplicated): "
        f"{best:.2f}s = {texts.len() / best:,.0f} msg/s; {paired_text(paired)}"
    )
    # Every message made distinct (its index appended as one more token): no dedup benefit.
    unique = texts + " " + pl.Series(range(texts.len())).cast(pl.String)
    best_u, timings_u, paired_u = timed(unique)
    print(
        f"ours, 1M all distinct: {best_u:.2f}s = {texts.len() / best_u:,.0f} msg/s "
        f"(tokenize {timings_u['tokenize_s']:.2f}s, score {timings_u['score_s']:.2f}s); "
        f"{paired_text(paired_u)}"
    )

    # Best of `--repeat` for both, alternating, so a burst of load on this shared machine
    # does not land on one side only.
    vader_s = ours_subset_s = float("inf")
    for _ in range(args.repeat):
        vader_s = min(vader_s, vader_seconds())
        t = time.perf_counter()
        cat.categorize(subset)
        ours_subset_s = min(ours_subset_s, time.perf_counter() - t)
    vader_rate = subset.len() / vader_s
    print(
        f"VADER: {subset.len():,} messages in {vader_s:.2f}s = {vader_rate:,.0f} msg/s "
        "(sentiment only)"
    )
    print(
        f"ours on the same {subset.len():,}: {subset.len() / ours_subset_s:,.0f} msg/s "
        "(topic + intent + sentiment)"
    )
    print(
        f"ratio ours(1M as is) / VADER: {texts.len() / best / vader_rate:.1f}x; "
        f"ours(1M all distinct) / VADER: {texts.len() / best_u / vader_rate:.1f}x; "
        f"same 20k subset: {vader_s / ours_subset_s:.1f}x"
    )
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.1f}/{load[1]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
