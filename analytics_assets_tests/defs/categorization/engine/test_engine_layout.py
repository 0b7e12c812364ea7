"""The engine's batch layout: folded phrase rows, packed hit codes, slices on threads."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics_assets.defs.categorization.engine import Categorizer, engine, kernels
from analytics_assets.defs.categorization.engine.tokenize import as_text_series, tokenize
from analytics_assets.defs.categorization.engine.vocab import SCALAR_FEATURES, pack_tables


@pytest.fixture(scope="module")
def cat() -> Categorizer:
    # The rules layer: the packaged learned weights are tested in test_learned.py.
    return Categorizer(device="cpu", use_packaged_weights=False)


def test_phrase_rows_hold_their_first_word_plus_the_phrase(cat: Categorizer) -> None:
    v = cat.vocab
    base = pack_tables(v)
    table = engine.scoring_table(v)
    ti = len(v.topics) + len(v.intents)
    how, much = (v.row_terms.index(w) for w in ("how", "much"))
    phrase = v.row_terms.index(f"{how} {much}")
    assert phrase >= v.n_unigrams
    # Class weights: word + phrase; scalars: the word's; extra columns: the phrase's.
    np.testing.assert_array_equal(table[phrase, :ti], base[how, :ti] + base[phrase, :ti])
    np.testing.assert_array_equal(table[phrase, ti : base.shape[1]], base[how, ti:])
    span = ti + SCALAR_FEATURES.index("span")
    assert table[phrase, -1] == base[phrase, span] == 2.0
    # Words (and the padding row 0) keep their own row, with zero extra columns.
    np.testing.assert_array_equal(table[: v.n_unigrams, : base.shape[1]], base[: v.n_unigrams])
    assert not table[: v.n_unigrams, -kernels.EXTRA_FEATURES :].any()


def test_hit_codes_pack_row_position_and_capitals(cat: Categorizer) -> None:
    tok = tokenize(as_text_series(["so how much is it", "NOT bad"]), cat.vocab.enum, [])
    code = engine.hit_codes(tok, cat.vocab)
    row = code >> kernels.ROW_SHIFT
    pos = (code >> 1) & ((1 << kernels.POS_BITS) - 1)
    np.testing.assert_array_equal(pos, tok.pos)
    np.testing.assert_array_equal(code & 1, tok.caps.astype(np.int32))
    how = cat.vocab.row_terms.index("how")
    phrase = cat.vocab.row_terms.index(f"{how} {cat.vocab.row_terms.index('much')}")
    # "how" starts the phrase "how much": its hit carries the phrase row.
    assert phrase in row.tolist() and how not in row.tolist()
    assert (row > 0).all()


@pytest.mark.parametrize("learned", [False, True], ids=["rules", "packaged-learned"])
def test_slices_on_threads_give_the_same_labels(
    learned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slicing and threads change nothing, also for the learned layer's hashed features (they
    are computed per slice and must land on their own texts)."""
    base = ["How much is the premium plan?", "not bad at all :)", "ugh, the app crashed", "hi"]
    texts = [f"{t} {i}" for i in range(1_500) for t in base]  # distinct: no deduplication
    whole = Categorizer(device="cpu", use_packaged_weights=learned).categorize(texts)
    monkeypatch.setattr(engine, "CHUNK_TEXTS", 700)
    monkeypatch.setattr(engine, "MIN_SLICE_TEXTS", 100)
    monkeypatch.setattr(engine, "PREPARE_THREADS", 2)
    sliced = Categorizer(device="cpu", use_packaged_weights=learned).categorize(pl.Series(texts))
    assert sliced.height == len(texts)
    # Same labels; scores up to float rounding (messages land in other batch shapes).
    assert_frame_equal(sliced, whole, rtol=1e-5, atol=1e-6)
    if not learned:
        expected = ["neutral", "positive", "negative", "neutral"]
        assert sliced["sentiment"].head(4).to_list() == expected


def test_no_texts(cat: Categorizer) -> None:
    raw = cat.raw_scores([])
    assert raw.topic.shape == (0, len(cat.vocab.topics))
    assert raw.sent.shape == (0, len(kernels.SENT_COLUMNS))
    assert raw.labels["topic"].shape == (0,)
    assert cat.categorize([]).height == 0
