"""Fetch the public evaluation sets for the categorization benchmarks at run time.

Nothing from these packages is committed (their licenses allow evaluation, not
redistribution): they are downloaded with pip into the git-ignored `benchmarks/.cache/` and
read from there.

* VADER 3.3.2 source distribution: `tweets_GroundTruth.txt` and
  `movieReviewSnippets_GroundTruth.txt` (`id<TAB>mean rating<TAB>text`) inside
  `additional_resources/hutto_ICWSM_2014.tar.gz`.
* `chitchat-dataset==0.9.0`: ~258k real chat messages, used only for speed runs.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import polars as pl

CACHE = Path(__file__).resolve().parent / ".cache"


def _pip_download(spec: str, dest: Path, source: bool) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob("*"))
    if found:
        return found[0]
    pip = [sys.executable, "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True).returncode != 0:
        exe = shutil.which("pip") or shutil.which("pip3")
        if exe is None:
            raise RuntimeError("pip is needed to fetch the evaluation data")
        pip = [exe]
    args = [*pip, "download", "--no-deps", "-d", str(dest), spec]
    if source:
        args[3:3] = ["--no-binary", ":all:"]
    subprocess.run(args, check=True)
    return sorted(dest.glob("*"))[0]


def vader_sets() -> dict[str, pl.DataFrame]:
    """{"tweets": frame, "movies": frame} with columns id, mean, text, label (3-class)."""
    sdist = _pip_download("vaderSentiment==3.3.2", CACHE / "vader", source=True)
    out: dict[str, pl.DataFrame] = {}
    with tarfile.open(sdist) as outer:
        member = next(m for m in outer.getmembers() if m.name.endswith("hutto_ICWSM_2014.tar.gz"))
        inner_bytes = outer.extractfile(member).read()  # type: ignore[union-attr]
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for key, name in (
            ("tweets", "tweets_GroundTruth.txt"),
            ("movies", "movieReviewSnippets_GroundTruth.txt"),
        ):
            m = next(x for x in inner.getmembers() if x.name.endswith(name))
            raw = inner.extractfile(m).read().decode("utf-8", errors="replace")  # type: ignore[union-attr]
            rows = [line.split("\t", 2) for line in raw.splitlines() if line.count("\t") >= 2]
            df = pl.DataFrame(
                {
                    "id": [r[0] for r in rows],
                    "mean": [float(r[1]) for r in rows],
                    "text": [r[2] for r in rows],
                }
            )
            out[key] = df.with_columns(
                label=pl.when(pl.col("mean").abs() <= 0.2)
                .then(pl.lit("neutral"))
                .when(pl.col("mean") > 0)
                .then(pl.lit("positive"))
                .otherwise(pl.lit("negative"))
            )
    return out


def chitchat_messages() -> pl.Series:
    """All message texts of chitchat-dataset 0.9.0, in file order."""
    wheel = _pip_download("chitchat-dataset==0.9.0", CACHE / "chitchat", source=False)
    with zipfile.ZipFile(wheel) as zf:
        data = json.loads(zf.read("chitchat_dataset/dataset.json"))
    texts = [
        turn["text"]
        for conv in data.values()
        for message in conv["messages"]
        for turn in message
        if isinstance(turn.get("text"), str)
    ]
    return pl.Series("text", texts, dtype=pl.String())


def three_class(sentiment: pl.Series, score: pl.Series) -> pl.Series:
    """Our 4 labels on the 3-class scale: `mixed` goes by the sign of the score."""
    return (
        pl.DataFrame({"s": sentiment, "x": score})
        .select(
            pl.when(pl.col("s") != "mixed")
            .then(pl.col("s"))
            .when(pl.col("x").abs() < 0.05)
            .then(pl.lit("neutral"))
            .when(pl.col("x") > 0)
            .then(pl.lit("positive"))
            .otherwise(pl.lit("negative"))
        )
        .to_series()
    )


def macro_f1(
    truth: pl.Series, pred: pl.Series, classes: list[str]
) -> tuple[float, dict[str, float]]:
    """Macro-F1 over `classes` and the per-class F1."""
    df = pl.DataFrame({"t": truth, "p": pred})
    per: dict[str, float] = {}
    for c in classes:
        tp = df.filter((pl.col("t") == c) & (pl.col("p") == c)).height
        fp = df.filter((pl.col("t") != c) & (pl.col("p") == c)).height
        fn = df.filter((pl.col("t") == c) & (pl.col("p") != c)).height
        per[c] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return sum(per.values()) / len(classes), per


def paired_bootstrap(
    truth: pl.Series,
    ours: pl.Series,
    theirs: pl.Series,
    classes: list[str],
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """95% interval of macro-F1(ours) - macro-F1(theirs) over rows resampled with replacement.

    Why: a few hundredths of macro-F1 on 2,100 tweets is within sampling noise; the interval
    says whether a lead is one (it excludes 0) or a tie (it spans 0).
    """
    import numpy as np

    index = {c: i for i, c in enumerate(classes)}
    k = len(classes)

    def codes(s: pl.Series) -> np.ndarray:
        return np.asarray([index.get(x, k) for x in s.to_list()], np.int64)

    t, a, b = codes(truth), codes(ours), codes(theirs)
    rng = np.random.default_rng(seed)

    def f1(tt: np.ndarray, pp: np.ndarray) -> float:
        m = np.bincount(tt * (k + 1) + pp, minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
        tp = np.diag(m)[:k].astype(float)
        fp = m[:, :k].sum(axis=0) - tp
        fn = m[:k, :].sum(axis=1) - tp
        return float(np.mean(np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)))

    diffs = []
    for _ in range(resamples):
        s = rng.integers(0, t.shape[0], t.shape[0])
        diffs.append(f1(t[s], a[s]) - f1(t[s], b[s]))
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return float(lo), float(hi)
