"""The phrase tables are complete and safe to quote into JSON without escaping."""

from __future__ import annotations

import re

import pytest

from analytics_assets.sources.demo import phrases as ph

UNSAFE = re.compile(r'["\\\x00-\x1f]')


@pytest.mark.parametrize("lang", ph.LANGUAGES, ids=lambda lang: lang.code)
def test_every_language_covers_every_topic_and_intent(lang: ph.LanguagePhrases) -> None:
    assert set(lang.core) == set(ph.TOPICS)
    assert all(lang.core[t] for t in ph.TOPICS)
    assert set(lang.generic) == set(ph.GENERIC_INTENTS)
    assert set(lang.answers) == set(ph.TOPICS) | set(ph.GENERIC_INTENTS)
    assert set(lang.titles) == set(ph.TOPICS)
    assert set(lang.clauses) == {"positive", "negative", "mixed"}
    for rows in list(lang.core.values()) + [lang.followups]:
        for intent, tone, _ in rows:
            assert intent in ph.INTENTS
            assert tone in {"n", "p", "g"}


@pytest.mark.parametrize("lang", ph.LANGUAGES, ids=lambda lang: lang.code)
def test_no_phrase_needs_json_escaping(lang: ph.LanguagePhrases) -> None:
    texts = [t for rows in lang.core.values() for _, _, t in rows]
    texts += [t for _, _, t in lang.followups]
    texts += [t for v in lang.generic.values() for t in v]
    texts += [t for v in lang.clauses.values() for t in v]
    texts += [t for v in lang.answers.values() for t in v]
    texts += list(lang.openers) + list(lang.apologies) + [lang.handoff]
    texts += list(lang.titles.values())
    assert not [t for t in texts if UNSAFE.search(t)]


def test_thai_is_written_without_spaces_inside_words_and_with_particles() -> None:
    core = [t for rows in ph.TH.core.values() for _, _, t in rows]
    for text in core:
        # Spaces only separate phrases: never between two Thai characters inside a word
        # such as "ถอน เงิน"; each space-separated chunk is a run of several characters.
        assert all(len(chunk) >= 2 for chunk in text.split(" ")), text
        assert "{p}" in text or "{q}" in text, text  # polite particle slot
    assert all("ค่ะ" in a or "คะ" in a for v in ph.TH.answers.values() for a in v)


def test_language_shares_sum_to_one_and_thai_leads() -> None:
    shares = {lang.code: lang.share for lang in ph.LANGUAGES}
    assert abs(sum(shares.values()) - 1.0) < 1e-9
    assert shares["th"] == max(shares.values())
    assert 0.35 <= shares["th"] <= 0.40
