"""Offline language detection for chat messages (pure: texts in, a Polars frame out).

Why lingua: it is built for short texts (chat turns are often 2-10 words), runs offline in
Rust, and handles Thai, which has no spaces between words. It is restricted to a configurable
set of languages because every extra language costs speed and adds look-alike candidates
(measured in `benchmarks/language_detection.py`: the restricted set is faster and more
accurate on our labeled set than all 75 languages).

Why the shape of `detect_languages`: a day of chat repeats itself ("hi", "thank you", the same
canned bot answer), so texts are deduplicated in Polars before the detector sees them, long
texts are cut to their first `max_chars` characters (a paragraph identifies a language as well
as a page does), and texts that carry no language signal (empty, digits, emoji, one or two
letters) are answered `unknown` without calling the detector at all.

Why a message's language can come from the bot's answer: lingua's confidence is relative (the
languages' values sum to 1), and a short greeting or goodbye often has no clear winner ("Ok,
bye." -> Indonesian 0.18, "Hallo" -> English 0.29, "Tchau!" -> German 0.30). Bots answer in the
user's language with a full sentence, so `message_language` takes the answer's language when
the query's confidence is under `min_confidence` (default 0.6) and the answer's is higher. On
the `make run` demo data (17,978 messages, the user's `inputs.lang` as truth) this takes wrong
message languages from 88 to 3; 0.5 would leave 22 (Portuguese sentences read as Spanish at
0.51-0.53). A query with no usable answer keeps its guess, with its low confidence.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import polars as pl
from lingua import (
    ConfidenceValue,
    IsoCode639_1,
    Language,
    LanguageDetector,
    LanguageDetectorBuilder,
)

if TYPE_CHECKING:
    from analytics_assets.settings import Settings


UNKNOWN = "unknown"

# The default set: the languages of the Thai customer-service traffic this system serves plus
# the most common languages of chatbot users. Malay is left out on purpose: with Indonesian
# in the set, short Indonesian texts flip to Malay (the two share most of their vocabulary).
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "th",
    "en",
    "de",
    "es",
    "fr",
    "it",
    "pt",
    "nl",
    "ru",
    "pl",
    "tr",
    "sv",
    "ja",
    "zh",
    "ko",
    "vi",
    "id",
    "ar",
    "hi",
)

# Scripts in which one or two characters already carry a word, so a short text is not "too
# short" when it contains them (e.g. "你好", "ありがとう", "감사").
_DENSE_SCRIPTS = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]"

# Distinct texts per detector call (memory bound, see detect_languages).
_CHUNK = 20_000
# Detections already made in this process, per detector (languages, low_accuracy): key text ->
# language, confidence. `categorized_messages` and `translated_messages` detect the same texts
# of the same day; with this, a run that materializes both detects each text once (issue 16).
# Bounded: past `_MEMO_MAX_TEXTS` distinct texts the memo starts over.
_MEMO_MAX_TEXTS = 2_000_000
_memo: dict[tuple[tuple[str, ...], bool], pl.DataFrame] = {}
_memo_lock = threading.Lock()

OUTPUT_SCHEMA = pl.Schema({"language": pl.String(), "language_confidence": pl.Float64()})


@dataclass(frozen=True)
class DetectionSettings:
    """How detection runs (`from_settings` maps the `LANGUAGE_DETECTION_*` settings).

    languages: ISO 639-1 codes the detector chooses among (`("all",)` = every lingua language).
    low_accuracy: lingua's low-accuracy mode (trigrams only): ~3x faster, worse on short texts.
    max_chars: texts are cut to this many characters before detection.
    min_letters: texts with fewer letters (and no CJK/Hangul characters) are `unknown`.
    min_confidence: a message's query detected with less confidence defers to a more confident
        detection of the bot's answer (see `message_language`).
    """

    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    low_accuracy: bool = False
    max_chars: int = 1000
    min_letters: int = 3
    min_confidence: float = 0.6

    @classmethod
    def from_settings(cls, settings: Settings) -> DetectionSettings:
        return cls(
            languages=settings.language_detection_codes or DEFAULT_LANGUAGES,
            low_accuracy=settings.language_detection_low_accuracy,
            max_chars=settings.language_detection_max_chars,
            min_letters=settings.language_detection_min_letters,
            min_confidence=settings.language_detection_min_confidence,
        )


def _parse_languages(codes: Sequence[str]) -> tuple[IsoCode639_1, ...] | None:
    """Validate ISO 639-1 codes; `None` means all languages."""
    if any(code.lower() == "all" for code in codes):
        return None
    isos: list[IsoCode639_1] = []
    for code in codes:
        try:
            isos.append(IsoCode639_1.from_str(code.lower()))
        except ValueError as exc:
            raise ValueError(
                f"LANGUAGE_DETECTION_LANGUAGES: {code!r} is not an ISO 639-1 code lingua knows"
            ) from exc
    if len(isos) < 2:
        raise ValueError("LANGUAGE_DETECTION_LANGUAGES needs at least two languages")
    return tuple(sorted(set(isos), key=lambda iso: iso.name))


_build_lock = threading.Lock()


@lru_cache(maxsize=4)
def _detector(languages: tuple[IsoCode639_1, ...] | None, low_accuracy: bool) -> LanguageDetector:
    builder = (
        LanguageDetectorBuilder.from_all_languages()
        if languages is None
        else LanguageDetectorBuilder.from_iso_codes_639_1(*languages)
    )
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def get_detector(
    languages: Sequence[str] = DEFAULT_LANGUAGES, low_accuracy: bool = False
) -> LanguageDetector:
    """The process-wide detector for this configuration, built on first use and reused.

    lingua loads its n-gram models lazily on the first detection, which takes a few seconds;
    building one detector per call would pay that every time.
    """
    key = _parse_languages(languages)
    with _build_lock:
        return _detector(key, low_accuracy)


@lru_cache(maxsize=1)
def _iso_codes() -> dict[Language, str]:
    return {language: language.iso_code_639_1.name.lower() for language in Language.all()}


def detect_languages(
    texts: Sequence[str | None] | pl.Series,
    settings: DetectionSettings | None = None,
) -> pl.DataFrame:
    """Language (ISO 639-1) and confidence in [0, 1] for each text, one row per text, in order.

    `unknown` with confidence 0.0 for null, empty, whitespace, numeric, emoji-only and
    too-short texts, and for texts the detector cannot place.
    """
    cfg = settings if settings is not None else DetectionSettings()
    series = texts if isinstance(texts, pl.Series) else pl.Series(values=list(texts))
    if series.len() == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    frame = pl.DataFrame({"text": series.cast(pl.String)}).with_columns(
        key=pl.col("text").fill_null("").str.slice(0, cfg.max_chars).str.strip_chars()
    )
    letters = pl.col("key").str.count_matches(r"\p{L}")
    dense = pl.col("key").str.contains(_DENSE_SCRIPTS)
    candidates = (
        frame.lazy()
        .filter((letters >= cfg.min_letters) | (dense & (letters > 0)))
        .select("key")
        .unique()
        .collect()
    )["key"]

    memo_key = (tuple(cfg.languages), cfg.low_accuracy)
    with _memo_lock:
        known = _memo.get(memo_key)
    wanted = candidates
    if known is not None and candidates.len():
        candidates = candidates.filter(~candidates.is_in(known["key"]))
    if candidates.len():
        detector = get_detector(cfg.languages, cfg.low_accuracy)
        codes = _iso_codes()
        texts = candidates.to_list()
        best: list[ConfidenceValue | None] = []
        # Chunks bound memory: lingua answers one confidence object per language per text.
        for start in range(0, len(texts), _CHUNK):
            values = detector.compute_language_confidence_values_in_parallel(
                texts[start : start + _CHUNK]
            )
            # Each result is sorted best first; all-zero means the detector found no evidence.
            best.extend(v[0] if v and v[0].value > 0.0 else None for v in values)
        detected = pl.DataFrame(
            {
                "key": candidates,
                "language": [codes[b.language] if b else UNKNOWN for b in best],
                "language_confidence": [b.value if b else 0.0 for b in best],
            },
            schema={"key": pl.String(), **OUTPUT_SCHEMA},
        )
    else:
        detected = pl.DataFrame(schema={"key": pl.String(), **OUTPUT_SCHEMA})
    if known is not None:
        memo = pl.concat([known, detected], how="vertical")
        # Only this call's candidates: the memo may hold texts another min_letters let through.
        detected = memo.filter(pl.col("key").is_in(wanted))
    else:
        memo = detected
    with _memo_lock:
        _memo[memo_key] = memo if memo.height <= _MEMO_MAX_TEXTS else known_empty()

    return frame.join(detected, on="key", how="left", maintain_order="left").select(
        pl.col("language").fill_null(UNKNOWN),
        pl.col("language_confidence").fill_null(0.0),
    )


def known_empty() -> pl.DataFrame:
    """An empty memo (the schema of `detect_languages`' detected frame)."""
    return pl.DataFrame(schema={"key": pl.String(), **OUTPUT_SCHEMA})


def message_language(
    query: pl.DataFrame, answer: pl.DataFrame, min_confidence: float | None = None
) -> pl.DataFrame:
    """A message's language from its two texts' detections (row-aligned frames).

    The user's query decides, unless it carries no language (a bare "ok", a sticker, an order
    number) or was detected with less than `min_confidence` (default: the
    `LANGUAGE_DETECTION_MIN_CONFIDENCE` setting) while the answer was detected with more
    confidence than the query: then the answer does, since bots answer in the user's language.
    """
    if min_confidence is None:
        min_confidence = DetectionSettings().min_confidence
    q_lang, q_conf = pl.col("q_lang"), pl.col("q_conf")
    a_lang, a_conf = pl.col("a_lang"), pl.col("a_conf")
    use_answer = (q_lang == UNKNOWN) | (
        (q_conf < min_confidence) & (a_lang != UNKNOWN) & (a_conf > q_conf)
    )
    return pl.DataFrame(
        {
            "q_lang": query["language"],
            "q_conf": query["language_confidence"],
            "a_lang": answer["language"],
            "a_conf": answer["language_confidence"],
        }
    ).select(
        language=pl.when(use_answer).then(a_lang).otherwise(q_lang),
        language_confidence=pl.when(use_answer).then(a_conf).otherwise(q_conf),
    )


def detect_message_languages(
    queries: Sequence[str | None] | pl.Series,
    answers: Sequence[str | None] | pl.Series,
    settings: DetectionSettings | None = None,
) -> pl.DataFrame:
    """One language per message (the query's; the answer's when the query is unsure), in one call.

    The rule every asset should share, so `categorized_messages.language` and
    `translated_messages.language` agree.
    """
    q = queries if isinstance(queries, pl.Series) else pl.Series(values=list(queries))
    a = answers if isinstance(answers, pl.Series) else pl.Series(values=list(answers))
    if q.len() != a.len():
        raise ValueError("queries and answers must have the same length")
    both = detect_languages(pl.concat([q.cast(pl.String), a.cast(pl.String)]), settings)
    cfg = settings if settings is not None else DetectionSettings()
    return message_language(both.head(q.len()), both.tail(a.len()), cfg.min_confidence)
