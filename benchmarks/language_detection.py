"""Language detection: accuracy on a labeled multilingual set, and messages/s.

    .venv/bin/python benchmarks/language_detection.py [--messages 10000] [--repeats 2]

Accuracy: `benchmarks/data/language_detection.tsv` (15 languages x 16 texts, 6 of them short
chat-like turns of 1-4 words, plus 10 texts with no language signal labeled `unknown`),
through `detect_languages` with four detector configurations: the default restricted set vs
all 75 lingua languages, each in high- and low-accuracy mode.

Speed: one demo day (`demo.generator.generate_day`, `--messages` turns = 2x texts, query and
answer, realistic repetition) through `detect_languages` (default configuration), against a
baseline measured in the same run: the obvious implementation, one `detect_language_of` call
per text in a Python loop with the same detector (no deduplication, no parallelism). Detector
models are loaded before timing (a warm-up call), so build time is reported separately.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import polars as pl

from analytics_assets.defs.categorization.language import (
    DEFAULT_LANGUAGES,
    DetectionSettings,
    detect_languages,
    get_detector,
)

DATA = Path(__file__).parent / "data" / "language_detection.tsv"

CONFIGS: dict[str, DetectionSettings] = {
    "default set, high accuracy": DetectionSettings(),
    "default set, low accuracy": DetectionSettings(low_accuracy=True),
    "all languages, high accuracy": DetectionSettings(languages=("all",)),
    "all languages, low accuracy": DetectionSettings(languages=("all",), low_accuracy=True),
}


def load_labeled() -> pl.DataFrame:
    frame = pl.read_csv(
        DATA, separator="\t", quote_char=None, schema={"language": pl.String, "text": pl.String}
    )
    return frame.with_columns(
        text=pl.col("text").fill_null(""),
        short=pl.col("text").str.split(" ").list.len() <= 4,
    )


def accuracy(labeled: pl.DataFrame, settings: DetectionSettings) -> tuple[pl.DataFrame, float]:
    start = time.perf_counter()
    get_detector(settings.languages, settings.low_accuracy)
    detect_languages(["warm up the models, please"], settings)
    build_s = time.perf_counter() - start
    predicted = detect_languages(labeled["text"], settings)["language"]
    return labeled.with_columns(predicted=predicted, correct=predicted == pl.col("language")), (
        build_s
    )


def demo_texts(messages: int) -> list[str]:
    from analytics_assets.sources.demo.generator import generate_day

    _, wire = generate_day(date(2025, 3, 3), 42, messages, malformed=False)
    return pl.concat([wire["query"], wire["answer"]]).fill_null("").to_list()


def best_of(repeats: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000, help="demo turns for speed")
    parser.add_argument("--repeats", type=int, default=2, help="timing repeats (best of)")
    args = parser.parse_args()

    labeled = load_labeled()
    languages = labeled.filter(pl.col("language") != "unknown")["language"].n_unique()
    print(f"## Accuracy ({labeled.height} labeled texts, {languages} languages + unknown)\n")
    print("| configuration | overall | sentences | short (<= 4 words) | unknown | build+load s |")
    print("|---|---|---|---|---|---|")
    per_language: dict[str, pl.DataFrame] = {}
    for name, settings in CONFIGS.items():
        result, build_s = accuracy(labeled, settings)
        per_language[name] = result
        known = result.filter(pl.col("language") != "unknown")

        def pct(frame: pl.DataFrame) -> str:
            return f"{frame['correct'].mean():.1%}"

        print(
            f"| {name} | {pct(result)} | {pct(known.filter(~pl.col('short')))} "
            f"| {pct(known.filter(pl.col('short')))} "
            f"| {pct(result.filter(pl.col('language') == 'unknown'))} | {build_s:.2f} |"
        )

    default = per_language["default set, high accuracy"]
    print("\n### Per language (default set, high accuracy)\n")
    print("| language | accuracy | wrong as |")
    print("|---|---|---|")
    for (lang,), group in default.sort("language").group_by("language", maintain_order=True):
        wrong = group.filter(~pl.col("correct"))["predicted"].to_list()
        print(f"| {lang} | {group['correct'].mean():.0%} | {', '.join(wrong) or '-'} |")

    texts = demo_texts(args.messages)
    unique = len(set(texts))
    settings = DetectionSettings()
    detector = get_detector(settings.languages, settings.low_accuracy)

    def baseline() -> None:
        [detector.detect_language_of(t) for t in texts]

    def ours() -> None:
        detect_languages(texts, settings)

    base_s = best_of(args.repeats, baseline)
    ours_s = best_of(args.repeats, ours)
    print(
        f"\n## Speed ({len(texts):,} texts = {args.messages:,} demo turns x query+answer, "
        f"{unique:,} distinct; best of {args.repeats})\n"
    )
    print("| implementation | seconds | texts/s | ratio |")
    print("|---|---|---|---|")
    print(f"| baseline: per-text loop | {base_s:.3f} | {len(texts) / base_s:,.0f} | 1.00x |")
    print(
        f"| detect_languages (dedup + truncate + parallel) | {ours_s:.3f} "
        f"| {len(texts) / ours_s:,.0f} | {base_s / ours_s:.2f}x |"
    )

    distinct = [f"{t} {i}" for i, t in enumerate(texts)]  # every text unique: no dedup help
    distinct_s = best_of(args.repeats, lambda: detect_languages(distinct, settings))
    print(
        f"| detect_languages, all {len(distinct):,} texts distinct | {distinct_s:.3f} "
        f"| {len(distinct) / distinct_s:,.0f} | {base_s / distinct_s:.2f}x |"
    )
    print(f"\ndefault set: {', '.join(DEFAULT_LANGUAGES)}")


if __name__ == "__main__":
    main()
