"""Thai words that contain a shorter lexicon term must not fire that term."""

from __future__ import annotations

from functools import cache

import polars as pl
import pytest

from analytics_assets.defs.categorization.engine import Categorizer


@cache
def _rules() -> Categorizer:
    # The rules layer (the segmenter's lexicon hits); the learned layer is tested elsewhere.
    return Categorizer(device="cpu", use_packaged_weights=False)


def categorize(texts: list[str]) -> pl.DataFrame:
    return _rules().categorize(texts)


@pytest.mark.parametrize(
    "text",
    [
        "สวัสดีตอนเช้าครับ",  # good morning: เช้า contains ช้า (slow)
        "เสียงในเกมไม่มีค่ะ",  # the game has no sound: เสียง contains เสีย (broken)
        "ใครรับผิดชอบเรื่องนี้คะ",  # who is responsible: ผิด (wrong) + ชอบ (like)
        "รักษาความปลอดภัยของบัญชียังไงคะ",  # how to keep the account safe: รัก (love)
    ],
)
def test_containing_words_carry_no_sentiment(text: str) -> None:
    row = categorize([text]).row(0, named=True)
    assert row["sentiment"] == "neutral", row
    assert row["topic"] != "technical_issue" or "ระบบ" in text, row


def test_the_short_terms_still_work_on_their_own() -> None:
    rows = categorize(["ระบบช้ามากค่ะ", "เว็บล่มอีกแล้ว แย่มาก"]).to_dicts()
    assert [r["sentiment"] for r in rows] == ["negative", "negative"]
    assert [r["topic"] for r in rows] == ["technical_issue", "technical_issue"]
