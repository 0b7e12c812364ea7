"""Portuguese, Vietnamese and Japanese: topics, intents, sentiment with negation, Japanese
segmentation and full-width punctuation, and the message-language fallback for unsure queries.

The texts are written for these tests (not taken from the eval set or the demo generator).
"""

from __future__ import annotations

import polars as pl
import pytest

from analytics_assets.defs.categorization.engine import Categorizer
from analytics_assets.defs.categorization.engine.tokenize import segment_thai, tokenize
from analytics_assets.defs.categorization.language import (
    DetectionSettings,
    detect_message_languages,
)
from analytics_assets.settings import get_settings


@pytest.fixture(scope="module")
def cat() -> Categorizer:
    # The rules layer: the packaged learned weights are tested in test_learned.py.
    return Categorizer(device="cpu", use_packaged_weights=False)


def one(cat: Categorizer, text: str) -> dict:
    return cat.categorize([text]).row(0, named=True)


@pytest.mark.parametrize(
    ("text", "topic", "intent"),
    [
        # Portuguese
        ("Quanto tempo leva para o saque chegar no meu banco?", "payments", "question"),
        ("Esqueci minha senha e não consigo entrar na conta", "account", "troubleshooting"),
        ("Quanto custa a assinatura mensal?", "pricing", "question"),
        ("Muito obrigado pela ajuda!", "other", "gratitude"),
        # Vietnamese: multi-syllable words match as phrases ("rút tiền", "mật khẩu")
        ("Làm sao để rút tiền về ngân hàng?", "payments", "question"),
        ("Vui lòng đổi mật khẩu cho tài khoản của tôi", "account", "request"),
        ("Ứng dụng bị lỗi, không mở được", "technical_issue", "troubleshooting"),
        ("Xin chào", "other", "greeting"),
        # Japanese, no spaces
        ("出金の手続きはどうやってするんですか？", "payments", "question"),
        ("アカウントのパスワードを再設定してください", "account", "request"),
        ("アプリが落ちて使えません", "technical_issue", "troubleshooting"),
        ("プライバシーポリシーを確認したいです", "data_privacy", "request"),
        ("こんにちは", "other", "greeting"),
    ],
)
def test_new_languages_topic_and_intent(
    cat: Categorizer, text: str, topic: str, intent: str
) -> None:
    r = one(cat, text)
    assert (r["topic"], r["intent"]) == (topic, intent), text


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("O atendimento foi ótimo", "O atendimento não foi ótimo"),
        ("Nhân viên hỗ trợ rất tốt", "Nhân viên hỗ trợ không tốt"),
        # Japanese negators follow the word: 満足 ... ません.
        ("サポートに満足しています", "サポートに満足していません"),
    ],
)
def test_new_languages_sentiment_and_negation(
    cat: Categorizer, positive: str, negated: str
) -> None:
    pos, neg = one(cat, positive), one(cat, negated)
    assert pos["sentiment"] == "positive" and pos["sentiment_score"] > 0.05, positive
    assert neg["sentiment"] == "negative" and neg["sentiment_score"] < -0.05, negated


@pytest.mark.parametrize(
    "text", ["Que serviço péssimo, estou decepcionado", "Quá tệ, tôi rất thất vọng", "最悪です。"]
)
def test_new_languages_negative_words(cat: Categorizer, text: str) -> None:
    assert one(cat, text)["sentiment"] == "negative"


def test_japanese_after_negator_does_not_flip_what_follows(cat: Categorizer) -> None:
    # ない negates the word before it only: "cannot withdraw, (it is) the worst" stays negative.
    assert one(cat, "出金できない最悪")["sentiment"] == "negative"


def test_japanese_is_segmented_without_spaces(cat: Categorizer) -> None:
    seg = segment_thai(pl.Series(["PayPalで出金できますか？はい。"]), cat.vocab.thai_terms)[0]
    # Known words get spaces around them, the Latin run is split from the kana, and the
    # full-width marks are ASCII punctuation.
    assert " 出金 " in seg
    assert seg.startswith("PayPal ")
    assert "?" in seg and "." in seg and "？" not in seg and "。" not in seg
    tok = tokenize(pl.Series([seg]), cat.vocab.enum, cat.vocab.thai_terms)
    terms = cat.vocab.enum.categories
    assert {"paypal", "出金", "?"} <= {terms[int(t) - 1] for t in tok.tid}
    # Texts in other scripts are untouched.
    assert segment_thai(pl.Series(["Hello？"]), cat.vocab.thai_terms)[0] == "Hello？"


def test_japanese_full_width_question_mark_makes_a_question(cat: Categorizer) -> None:
    # No question word at all: only the full-width ？ marks the question.
    assert one(cat, "入金はまだ？")["intent"] == "question"
    assert one(cat, "入金はまだ")["intent"] != "question"


def test_japanese_sentence_marks_are_clause_breaks(cat: Categorizer) -> None:
    texts = pl.Series(["出金のエラー。手数料、高い！"])
    seg = segment_thai(texts, cat.vocab.thai_terms)
    tok = tokenize(seg, cat.vocab.enum, cat.vocab.thai_terms)
    terms = cat.vocab.enum.categories
    breaks = [terms[int(t) - 1] for t in tok.tid if cat.vocab.tables["brk"][t] > 0]
    assert breaks == [".", ",", "!"]


def test_vietnamese_multi_syllable_words_need_all_syllables(cat: Categorizer) -> None:
    # "tài khoản" (account) is a phrase; its syllables alone mean nothing to the taxonomy.
    assert one(cat, "Tài khoản")["topic"] == "account"
    assert one(cat, "khoản")["topic"] == "other"
    assert one(cat, "khoản tài")["topic"] == "other"


SHORT_BYE = "Ok, bye."
EN_ANSWER = "Thank you for contacting us, have a great day!"


def test_unsure_short_query_takes_the_answers_language() -> None:
    # lingua alone reads "Ok, bye." as Indonesian with confidence 0.18.
    plain = detect_message_languages([SHORT_BYE], [EN_ANSWER], DetectionSettings(min_confidence=0))
    assert plain["language"][0] == "id" and plain["language_confidence"][0] < 0.3
    out = detect_message_languages(
        [SHORT_BYE, "Hallo", SHORT_BYE], [EN_ANSWER, "Hallo! Wie kann ich Ihnen helfen?", ""]
    )
    assert out["language"].to_list()[:2] == ["en", "de"]
    assert out["language_confidence"][0] > 0.6
    # No usable answer: the query's guess stays, with its low confidence.
    assert out["language_confidence"][2] < 0.3


def test_confident_query_keeps_its_language(monkeypatch: pytest.MonkeyPatch) -> None:
    query = "Ich kann mich seit gestern nicht mehr in mein Konto einloggen"
    out = detect_message_languages([query], [EN_ANSWER])
    assert out["language"][0] == "de"
    # The threshold comes from the settings: at 0 the unsure query keeps its guess.
    monkeypatch.setenv("LANGUAGE_DETECTION_MIN_CONFIDENCE", "0")
    settings = DetectionSettings.from_settings(get_settings())
    assert detect_message_languages([SHORT_BYE], [EN_ANSWER], settings)["language"][0] == "id"
