"""Polars tokenizer: texts in, vocabulary hits (message, position, id) out, with no Python loop.

Why this shape: the scoring rules only need the tokens that the taxonomy and the lexicons know
(plus punctuation, which marks clauses and questions), together with each token's original
position in its message. So the tokenizer lowercases, splits with one regex, explodes, joins to
the vocabulary and keeps only the hits; JAX then works on short, dense sequences.

* **Thai and Japanese** have no spaces between words. Texts in those scripts are first passed
  through a leftmost-longest dictionary segmenter (`str.replace_many(..., leftmost=True)` with
  the vocabulary's terms in those scripts, longest first: an Aho-Corasick automaton in Polars)
  that puts spaces around every known word, so the same regex split then yields words. Unknown
  stretches stay one token each and only count for positions. In Japanese texts the full-width
  marks (？！。、：；，．) become their ASCII counterparts, so questions and clauses read as in
  other languages, and Latin/digit runs are split from the kana/kanji they touch ("SMSで").
* **Long texts** are windowed before tokenizing: a text over `MAX_CHARS` characters keeps its
  first `HEAD_CHARS` and last `TAIL_CHARS` characters (openings carry the topic, endings the
  verdict), so a 100 kB message costs what a 5 kB one does.
* **Elongated words** ("sooo baaad", "hateeee") that are not in the vocabulary are looked up
  again with each run of 3+ equal letters cut to two letters, then to one.
* **Capitals**: the split runs on the lowercased text; texts with capitals are scanned again
  for ALL-CAPS words (an emphasis cue) and those hits are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

# Longest text scored whole; longer texts keep head and tail windows (documented above).
MAX_CHARS = 5000
HEAD_CHARS = 4000
TAIL_CHARS = 1000

# One token per match, tried in this order:
#   links      http(s)://... and www.... as one token (never in the vocabulary), so the ":/"
#              of a URL is not read as an emoticon
#   emoticons  :) :-( ;D :P :'( <3 </3 ^_^ T_T xD; :c :S :l -_- >_< (: (the letter mouths
#              and :3 <3 only at a word end, so "Note:Some" stays words and "10:30" is a
#              time); the HTML-escaped heart "&lt;3" of scraped tweets too
#   emoji      any Extended_Pictographic code point
#   words      letters/marks/digits, with inner apostrophes (don't, n'est, l'app)
#   punctuation runs of ! and ? (up to 3), ellipses, and , ; : as clause breaks
TOKEN_PATTERN = (
    r"(?:https?://|www\.)\S+"
    r"|(?:[:;=][-o'^]?[)(\]\[dDpP/\\|*oO@$])"
    r"|(?:</?3+\b|&lt;/?3+\b|\^[_.]?\^|[tT]_[tT]|[xX][dD]\b)"
    r"|(?:[:;=]-?[cCsSlL3]\b|-_-|>[_.]<|\(:)"
    r"|\p{Extended_Pictographic}"
    r"|[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}\p{M}]+)*"
    r"|[!?¡¿]{1,3}|\.{1,3}|[,;:]"
)
# Seed of the token hashes (learned word features): fixed, since fitted weights depend on it.
TOKEN_HASH_SEED = 7
THAI_RANGE = "[\u0e00-\u0e7f]"
# Kana (incl. the prolonged-sound mark), CJK ideographs, half-width katakana.
JAPANESE_RANGE = "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]"
# Characters whose words are found by the dictionary segmenter (`segment_thai`).
UNSPACED_RANGE = f"[{THAI_RANGE[1:-1]}{JAPANESE_RANGE[1:-1]}]"
# Full-width punctuation of Japanese texts -> the ASCII marks TOKEN_PATTERN knows.
FULLWIDTH_MARKS = {
    "？": "?",
    "！": "!",
    "。": ".",
    "．": ".",
    "、": ",",
    "，": ",",
    "：": ":",
    "；": ";",
}


# Letters whose runs of 3+ are read as emphasis ("sooo goood") and shortened before lookup.
ELONGATED_LETTERS = "abcdefghijklmnopqrstuvwxyz"
ELONGATED_RUNS = [letter * 3 for letter in ELONGATED_LETTERS]


@dataclass(frozen=True)
class Tokenized:
    """Vocabulary hits of a batch of texts, sorted by (message, position).

    `msg` indexes the input texts, `pos` is the token's position among all tokens of its message,
    `tid` the vocabulary id, `caps` whether the token was written in capitals. `n_tokens` and
    `all_caps` are per message. `token_hash` (only when asked for) holds a 64-bit hash of every
    token, known or not, in message order (`n_tokens` per message): the learned layer's words.
    """

    msg: np.ndarray
    pos: np.ndarray
    tid: np.ndarray
    caps: np.ndarray
    n_tokens: np.ndarray
    all_caps: np.ndarray
    token_hash: np.ndarray | None = None


def as_text_series(texts: list[str] | pl.Series) -> pl.Series:
    """Any list or Series of texts as a String Series: nulls become empty, non-strings are cast.

    Invalid UTF-8 cannot reach a Polars String column, so "binary garbage" arrives here as
    replacement characters or control characters, which the tokenizer simply does not match.
    """
    if isinstance(texts, pl.Series):
        series = texts
    else:
        series = pl.Series("text", list(texts), dtype=pl.String(), strict=False)
    if series.dtype != pl.String():
        series = series.cast(pl.String(), strict=False)
    return series.fill_null("").rename("text")


def window_expr(col: str = "text") -> pl.Expr:
    """Keep head and tail windows of texts longer than MAX_CHARS (see module docstring)."""
    c = pl.col(col)
    n = c.str.len_chars()
    return (
        pl.when(n > MAX_CHARS)
        .then(c.str.slice(0, HEAD_CHARS) + pl.lit(" \n ") + c.str.slice(-TAIL_CHARS))
        .otherwise(c)
    )


def segment_thai(texts: pl.Series, thai_terms: list[str]) -> pl.Series:
    """Leftmost-longest dictionary segmentation of Thai and Japanese: spaces around known words.

    `thai_terms` are the vocabulary's terms in either script (the name predates Japanese). Only
    texts that contain one of the two scripts pay for it: the rest are left untouched.
    """
    has_script = texts.str.contains(UNSPACED_RANGE)
    if not thai_terms or not has_script.any():
        return texts
    terms = sorted(set(thai_terms), key=lambda t: (-len(t), t))
    frame = pl.DataFrame({"text": texts}).filter(has_script)
    text = pl.col("text")
    # Thai writes a space where other languages put a comma or a full stop: it becomes a
    # clause break (",") before the segmenter adds its own spaces around words.
    thai = text.str.contains(THAI_RANGE)
    text = pl.when(thai).then(text.str.replace_all(r"\s+", " , ")).otherwise(text)
    # Japanese: ASCII marks for the full-width ones, and a space between a Latin letter or
    # digit and the kana/kanji next to it, so "PayPalで" holds the word "paypal".
    ja = pl.col("text").str.contains(JAPANESE_RANGE)
    jp = JAPANESE_RANGE
    text = (
        pl.when(ja)
        .then(
            text.str.replace_many(list(FULLWIDTH_MARKS), list(FULLWIDTH_MARKS.values()))
            .str.replace_all(f"({jp})([A-Za-z0-9])", "$1 $2")
            .str.replace_all(f"([A-Za-z0-9])({jp})", "$1 $2")
        )
        .otherwise(text)
    )
    segmented = frame.select(
        text.str.replace_many(terms, [f" {t} " for t in terms], leftmost=True)
    ).to_series()
    return texts.clone().scatter(has_script.arg_true(), segmented)


def tokenize(
    texts: pl.Series, vocab: pl.Enum, thai_terms: list[str], hashes: bool = False
) -> Tokenized:
    """Split, lowercase and map `texts` to vocabulary ids (`vocab`: Enum of terms, id = index+1).

    Returns only the tokens found in the vocabulary, in message order, plus per-message counts.
    The vocabulary lookup is a cast to an Enum (a hash lookup in Rust); unknown tokens become
    null and are dropped. Capitals: texts with a run of two capitals are scanned again for
    ALL-CAPS words, and hits of those words are flagged. `hashes`: also hash every token (the
    learned layer's word features reuse this split instead of splitting the texts again).
    """
    n = texts.len()
    text = pl.DataFrame({"text": texts}).select(window_expr()).to_series()
    text = segment_thai(text, thai_terms)
    frame = pl.DataFrame({"text": text}).with_columns(
        tok=pl.col("text").str.to_lowercase().str.extract_all(TOKEN_PATTERN),
        shouty=pl.col("text").str.contains(r"\p{Lu}\p{Lu}"),
        has_lower=pl.col("text").str.contains(r"\p{Ll}"),
    )
    all_caps = (frame["shouty"] & ~frame["has_lower"]).fill_null(False)
    # All tokens in one flat column (an empty list adds no row), mapped to ids by one cast; a
    # hit's message and position follow from the list lengths in numpy, with no index lists.
    lengths = frame["tok"].list.len().fill_null(0).cast(pl.Int32).to_numpy()
    flat = frame.select(pl.col("tok").explode(empty_as_null=False)).to_series()
    token_hash = flat.hash(seed=TOKEN_HASH_SEED).to_numpy() if hashes else None
    flat_tid = flat.cast(vocab, strict=False).to_physical().cast(pl.Int32).fill_null(-1)
    flat_tid = flat_tid.to_numpy(writable=True)
    _match_elongated(flat, flat_tid, vocab)
    found = np.flatnonzero(flat_tid >= 0)
    first = np.cumsum(lengths) - lengths
    msg = np.repeat(np.arange(n, dtype=np.int32), lengths)[found]
    tid = (flat_tid[found] + 1).astype(np.int32)
    pos = (found - first[msg]).astype(np.int32)
    caps = np.zeros(tid.shape[0], np.bool_)
    shouty = frame.select(
        msg=pl.int_range(0, n, dtype=pl.Int32), text="text", keep="shouty", has_lower="has_lower"
    ).filter(pl.col("keep") & pl.col("has_lower"))
    if shouty.height:
        words = (
            shouty.select("msg", word=pl.col("text").str.extract_all(r"\b\p{Lu}[\p{Lu}\p{M}'’]+\b"))
            .explode("word")
            .select(
                "msg",
                tid=pl.col("word").str.to_lowercase().cast(vocab, strict=False).to_physical() + 1,
            )
            .drop_nulls()
        )
        # Only hits of messages with capitals are looked at (a numpy mask, no join).
        in_shouty = np.zeros(n, np.bool_)
        in_shouty[shouty["msg"].to_numpy()] = True
        candidates = np.flatnonzero(in_shouty[msg])
        keys = msg[candidates].astype(np.int64) << 32 | tid[candidates].astype(np.int64)
        caps_keys = words["msg"].to_numpy().astype(np.int64) << 32 | words["tid"].to_numpy().astype(
            np.int64
        )
        caps[candidates] = np.isin(keys, caps_keys)
    return Tokenized(
        msg=msg,
        pos=pos,
        tid=tid,
        caps=caps,
        n_tokens=lengths,
        all_caps=all_caps.to_numpy(),
        token_hash=token_hash,
    )


def _match_elongated(flat: pl.Series, flat_tid: np.ndarray, vocab: pl.Enum) -> None:
    """Give unknown tokens with a letter repeated 3+ times ("sooo", "baaad", "hateeee") the id
    of their shortened form, in place: each run cut to two letters ("cooool" -> "cool"), else to
    one ("baaad" -> "bad"). Only the unknown tokens that contain such a run are rewritten (a
    substring automaton finds them), so the cost is that of the few elongated tokens.
    """
    unknown = np.flatnonzero(flat_tid < 0)
    if not unknown.size:
        return
    candidates = flat.gather(unknown)
    elongated = candidates.str.contains_any(ELONGATED_RUNS).fill_null(False).to_numpy()
    if not elongated.any():
        return
    words = pl.DataFrame({"word": candidates.filter(elongated)})
    two, one = pl.col("word"), pl.col("word")
    for letter in ELONGATED_LETTERS:
        two = two.str.replace_all(f"{letter}{{3,}}", letter * 2)
        one = one.str.replace_all(f"{letter}{{3,}}", letter)
    ids = (
        words.select(
            pl.coalesce(
                two.cast(vocab, strict=False).to_physical(),
                one.cast(vocab, strict=False).to_physical(),
            )
        )
        .to_series()
        .cast(pl.Int32)
        .fill_null(-1)
        .to_numpy()
    )
    flat_tid[unknown[elongated]] = ids


def split_terms_many(terms: list[str]) -> list[list[str]]:
    """Tokens of taxonomy/lexicon terms, exactly as the tokenizer would split them, in one
    Polars call (a vocabulary has ~15,000 terms; one call per term cost seconds of start-up)."""
    if not terms:
        return []
    series = pl.Series("text", [t.lower() for t in terms], dtype=pl.String())
    return [list(tokens) for tokens in series.str.extract_all(TOKEN_PATTERN).to_list()]
