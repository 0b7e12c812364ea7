"""`analytics-assets fit-categorizer` on a small labeled set, and the weights in use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analytics_assets.cli import main
from analytics_assets.defs.categorization.engine import Categorizer

# Chat-like texts whose labels the rules alone get wrong on purpose: "sorted" and "bruh" are
# not in the lexicon, and "bruh" means a complaint here.
POSITIVE = ["sorted, cheers mate", "you are a legend", "all sorted now legend", "legend, sorted"]
NEGATIVE = ["bruh again", "bruh it again", "again bruh", "nothing arrived bruh"]
NEUTRAL = ["my id is 4411", "the id is 9902", "ok id 1234", "id number 5555"]


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text(
        "text\tlabel\n" + "".join(f"{t}\t{label}\n" for t, label in rows), encoding="utf-8"
    )
    return path


def labeled() -> list[tuple[str, str]]:
    rows = [(t, "positive") for t in POSITIVE] + [(t, "negative") for t in NEGATIVE]
    rows += [(t, "neutral") for t in NEUTRAL]
    return rows * 3


def test_fit_writes_weights_that_change_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_tsv(tmp_path / "labeled.tsv", labeled())
    out = tmp_path / "weights.npz"
    code = main(
        [
            "fit-categorizer",
            "--data",
            str(data),
            "--task",
            "sentiment",
            "--out",
            str(out),
            "--device",
            "cpu",
            "--steps",
            "150",
            "--calibrate-folds",
            "3",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "training accuracy 1.000" in printed
    assert "out-of-fold macro-F1" in printed and "confidence temperature" in printed
    with np.load(out) as arrays:
        assert {"sentiment/W", "sentiment/E", "sentiment/b", "sentiment/classes"} <= set(
            arrays.files
        )
        assert float(arrays["sentiment/temperature"]) > 0

    rules = Categorizer(device="cpu", use_packaged_weights=False)
    learned = Categorizer(device="cpu", weights_path=out)
    probe = ["bruh again", "you are a legend", "my id is 4411"]
    assert rules.categorize(probe)["sentiment"].to_list() != ["negative", "positive", "neutral"]
    got = learned.categorize(probe)
    assert got["sentiment"].to_list() == ["negative", "positive", "neutral"]
    assert got["sentiment_score"][0] < 0 < got["sentiment_score"][1]
    # Topic and intent still come from the rules when only sentiment was fitted.
    assert got["topic"].to_list() == rules.categorize(probe)["topic"].to_list()

    # A second task goes into the same file; the first is kept.
    topics = write_tsv(
        tmp_path / "topics.tsv",
        [("where is my money", "payments"), ("price please", "pricing")] * 6,
    )
    assert (
        main(
            [
                "fit-categorizer",
                "--data",
                str(topics),
                "--task",
                "topic",
                "--out",
                str(out),
                "--device",
                "cpu",
                "--steps",
                "50",
                "--calibrate-folds",
                "0",
            ]
        )
        == 0
    )
    with np.load(out) as arrays:
        assert "sentiment/W" in arrays.files and "topic/W" in arrays.files
    both = Categorizer(device="cpu", weights_path=out)
    assert both.categorize(["where is my money"])["topic"][0] == "payments"


def test_fit_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.npz"
    bad_label = write_tsv(tmp_path / "bad.tsv", [("hello", "ecstatic")])
    assert (
        main(
            [
                "fit-categorizer",
                "--data",
                str(bad_label),
                "--task",
                "sentiment",
                "--out",
                str(out),
                "--device",
                "cpu",
            ]
        )
        == 2
    )
    assert "not sentiment classes" in capsys.readouterr().err
    no_header = tmp_path / "nohead.tsv"
    no_header.write_text("hello\tpositive\n", encoding="utf-8")
    assert (
        main(
            [
                "fit-categorizer",
                "--data",
                str(no_header),
                "--task",
                "sentiment",
                "--out",
                str(out),
                "--device",
                "cpu",
            ]
        )
        == 2
    )
    assert "header lacks" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(ValueError, match="not found"):
        Categorizer(device="cpu", weights_path=tmp_path / "missing.npz")
