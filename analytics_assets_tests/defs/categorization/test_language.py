"""Language detection on real sentences: each language, the `unknown` cases, order, huge text."""

from __future__ import annotations

import polars as pl
import pytest

from analytics_assets.defs.categorization.language import (
    DetectionSettings,
    detect_languages,
    detect_message_languages,
    get_detector,
)
from analytics_assets.settings import get_settings

SENTENCES = {
    "th": "สวัสดีครับ ผมต้องการสอบถามเรื่องการเปิดบัญชีออมทรัพย์",
    "en": "Hello, I would like to know how to reset my password please.",
    "de": "Guten Tag, ich möchte wissen, wie ich mein Passwort zurücksetzen kann.",
    "es": "Hola, quisiera saber cómo puedo cambiar mi contraseña, por favor.",
    "fr": "Bonjour, je voudrais savoir comment réinitialiser mon mot de passe.",
    "it": "Buongiorno, vorrei sapere come posso reimpostare la mia password.",
    "pt": "Olá, gostaria de saber como posso redefinir a minha senha, obrigado.",
    "nl": "Goedemiddag, ik wil graag weten hoe ik mijn wachtwoord kan wijzigen.",
    "ru": "Здравствуйте, я хотел бы узнать, как сбросить мой пароль.",
    "ja": "こんにちは、パスワードをリセットする方法を教えてください。",
    "zh": "你好，我想知道如何重置我的密码，谢谢。",
    "ko": "안녕하세요, 비밀번호를 재설정하는 방법을 알고 싶습니다.",
    "vi": "Xin chào, tôi muốn biết cách đặt lại mật khẩu của mình.",
    "id": "Selamat siang, saya ingin tahu bagaimana cara mengatur ulang kata sandi saya.",
    "ar": "مرحبا، أود أن أعرف كيف يمكنني إعادة تعيين كلمة المرور الخاصة بي.",
}


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_each_language_is_detected(code: str) -> None:
    out = detect_languages([SENTENCES[code]])
    assert out.row(0) == (code, pytest.approx(out["language_confidence"][0]))
    assert out["language"][0] == code
    assert 0.0 < out["language_confidence"][0] <= 1.0


def test_short_chat_texts_in_dense_scripts_are_detected() -> None:
    out = detect_languages(["ขอบคุณครับ", "你好", "감사합니다", "ありがとう"])
    assert out["language"].to_list() == ["th", "zh", "ko", "ja"]


@pytest.mark.parametrize(
    "text", [None, "", "   \n\t", "12345", "3.14 + 2,000", "😀😀🎉", "👍", "ok", "?!", "a1"]
)
def test_texts_without_language_signal_are_unknown(text: str | None) -> None:
    out = detect_languages([text])
    assert out.row(0) == ("unknown", 0.0)


def test_schema_and_empty_input() -> None:
    empty = detect_languages([])
    assert empty.schema == pl.Schema({"language": pl.String, "language_confidence": pl.Float64})
    assert empty.height == 0
    out = detect_languages(pl.Series("query", ["Hello there, how are you today?"]))
    assert out.schema == empty.schema


def test_order_is_preserved_and_duplicates_agree() -> None:
    codes = sorted(SENTENCES)
    # Interleave, repeat and reverse so a join that reorders rows would be caught.
    texts = [SENTENCES[c] for c in codes] + ["", "42"] + [SENTENCES[c] for c in reversed(codes)]
    out = detect_languages(texts)
    assert out.height == len(texts)
    expected = codes + ["unknown", "unknown"] + list(reversed(codes))
    assert out["language"].to_list() == expected
    first = out.head(len(codes))["language_confidence"].to_list()
    last = out.tail(len(codes))["language_confidence"].reverse().to_list()
    assert first == last


def test_huge_text_is_truncated_and_still_detected() -> None:
    huge = SENTENCES["de"] * 20_000  # ~1.4 M characters
    out = detect_languages([huge, SENTENCES["en"]])
    assert out["language"].to_list() == ["de", "en"]


def test_truncation_uses_only_the_head() -> None:
    # An English head and a long Russian tail: cut at the head, English wins.
    text = SENTENCES["en"] + " " + SENTENCES["ru"] * 50
    cfg = DetectionSettings(max_chars=len(SENTENCES["en"]))
    assert detect_languages([text], cfg)["language"][0] == "en"
    assert detect_languages([text], DetectionSettings(max_chars=100_000))["language"][0] == "ru"


def test_detector_is_built_once_and_reused() -> None:
    assert get_detector(("en", "de")) is get_detector(("de", "en"))


def test_restricted_set_only_returns_configured_languages() -> None:
    cfg = DetectionSettings(languages=("en", "de"))
    out = detect_languages([SENTENCES["es"], SENTENCES["en"]], cfg)
    assert set(out["language"].to_list()) <= {"en", "de", "unknown"}
    assert out["language"][1] == "en"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE_DETECTION_LANGUAGES", "EN, th ,de")
    monkeypatch.setenv("LANGUAGE_DETECTION_MAX_CHARS", "200")
    cfg = DetectionSettings.from_settings(get_settings())
    assert cfg.languages == ("en", "th", "de")
    assert cfg.max_chars == 200
    monkeypatch.setenv("LANGUAGE_DETECTION_LANGUAGES", "en,xx")
    with pytest.raises(ValueError, match="xx"):
        detect_languages(
            ["Hello there, how are you?"], DetectionSettings.from_settings(get_settings())
        )


def test_message_language_prefers_the_query_then_the_answer() -> None:
    out = detect_message_languages(
        [SENTENCES["de"], "ok", None, "😀", SENTENCES["th"]],
        [SENTENCES["en"], SENTENCES["fr"], SENTENCES["ja"], "", SENTENCES["en"]],
    )
    assert out["language"].to_list() == ["de", "fr", "ja", "unknown", "th"]
    assert out["language_confidence"][3] == 0.0
    assert out.schema == pl.Schema({"language": pl.String, "language_confidence": pl.Float64})
    with pytest.raises(ValueError, match="same length"):
        detect_message_languages(["a"], [])


def test_chunked_detection_matches_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    import analytics_assets.defs.categorization.language as detect

    texts = [SENTENCES[c] for c in sorted(SENTENCES)] + ["", "ok"]
    whole = detect_languages(texts)
    monkeypatch.setattr(detect, "_CHUNK", 4)
    chunked = detect_languages(texts)
    assert chunked["language"].to_list() == whole["language"].to_list()
    assert chunked["language_confidence"].to_list() == pytest.approx(
        whole["language_confidence"].to_list(), abs=1e-9
    )


def test_a_text_is_detected_once_per_process_and_settings_still_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """categorized_messages and translated_messages detect the same texts: the second call
    answers from the process memo (the detector sees none of them again), with the same
    result, and a memo entry never overrides this call's own filters (min_letters)."""
    from analytics_assets.defs.categorization import language

    monkeypatch.setattr(language, "_memo", {})
    texts = ["Guten Morgen, ich habe eine Frage", "Where is my withdrawal?", "ok", None]
    first = detect_languages(texts)

    seen: list[int] = []
    real = language.get_detector

    def counting(*args):  # type: ignore[no-untyped-def]
        detector = real(*args)

        class Counted:
            def compute_language_confidence_values_in_parallel(self, batch):  # type: ignore[no-untyped-def]
                seen.append(len(batch))
                return detector.compute_language_confidence_values_in_parallel(batch)

        return Counted()

    monkeypatch.setattr(language, "get_detector", counting)
    again = detect_languages(texts)
    assert again.equals(first)
    assert seen == []  # nothing sent to the detector twice
    assert first["language"].to_list()[:2] == ["de", "en"]

    text = "Bonjour madame"  # 13 letters
    assert detect_languages([text], DetectionSettings(min_letters=3))["language"][0] == "fr"
    # In the memo now, but too short for this call's filter: unknown, as without the memo.
    strict = DetectionSettings(min_letters=20)
    assert detect_languages([text], strict)["language"].to_list() == ["unknown"]
