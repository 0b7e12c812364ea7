"""Deterministic, realistic Dify-shaped demo data: what `make run` reads with no configuration.

`generate_day(day, seed, messages_per_day)` returns the `conversations` that start on `day` (UTC)
and all their `messages`, in exactly `schemas.CONVERSATIONS_WIRE_SCHEMA` /
`schemas.MESSAGES_WIRE_SCHEMA`: every column of Dify's tables, timestamps as Dify text
(`YYYY-MM-DD HH:MM:SS+00:00`), JSON columns as JSON text. A conversation that starts late in the
day may have messages after midnight (on `day + 1`); conversations never last longer than a few
hours (at most `MAX_TURNS` turns, gaps capped), so a source serving day D needs days D-1 and D.

Why it looks like it does (the traffic of the original deployment: a multilingual customer-service
bot of a Thai betting site):

* **Languages**: Thai is the largest single language (~37% of conversations), then English,
  German, Spanish, French, and a small share of Japanese, Portuguese and Vietnamese so language
  detection sees variety (`phrases.LANGUAGES` holds the shares). Each language's users are most
  active in their own evening (traffic follows their UTC offset).
* **Apps and models** (`APPS`, `MODELS`): four apps with stable ids derived from the seed; five
  models from openai/anthropic/google/deepseek, each with its own per-1k-token prices
  (`price_unit` 0.001, so `total_price = message_tokens * message_unit_price * 0.001 +
  answer_tokens * answer_unit_price * 0.001`) and a lognormal latency distribution (seconds).
* **Users**: a stable pool derived from the seed (size `max(200, messages_per_day // 3)`) with
  lognormally skewed activity, so the same `from_end_user_id` returns on several days and
  sometimes several times a day. A user keeps their username, language, banks and payment
  methods; balance and recent deposits/withdrawals change per conversation. Every personal value
  is clearly fake (`demo_th_000123`, `DEMO USER 000123`, account numbers `DEMO-...`).
* **Turns**: 1..12 per conversation (geometric, ~70% multi-turn), `parent_message_id` chains the
  turns, turns are seconds to minutes apart. `message` is the prompt history
  `[{role, text, files}]`: the system prompt, then the last `HISTORY_TURNS` earlier turns (Dify's
  memory window; capped to keep rows modest, so its length gives the turn order only for the
  first `HISTORY_TURNS + 1` turns; `parent_message_id` gives it always), then the current query.
* **Texts**: whole sentences per language and topic, tagged with intent and tone
  (`phrases.py`), varied by openers, tone clauses (praise, frustration or both) and slot values
  (amounts, references, Thai polite particles by the user's gender). Bot answers are in the
  user's language, with an apology on negative turns and sometimes a `#AGENT` hand-over.
* **Errors**: ~`ERROR_RATE` of messages have `status="error"`, a provider error text (timeout,
  rate limit, overload, context length), an empty answer and 0 answer tokens.
* **Malformed rows** (`MALFORMED_KINDS`): one of each kind per day when `messages_per_day >=
  MALFORMED_MIN_MESSAGES`, always on the last turn of a conversation that starts and ends on
  `day` (so no other row depends on it and it belongs to `day`).

Everything is vectorized (numpy draws, Polars string building): no per-row Python. The per-day
random stream is `SeedSequence([seed, day.toordinal()])`; the world (apps, users) comes from
`SeedSequence([seed, _WORLD_STREAM])`, so it is the same on every day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl
import pyarrow as pa

from analytics_assets import schemas
from analytics_assets.sources.demo import phrases as ph

MAX_TURNS = 12
HISTORY_TURNS = 2  # earlier turns kept in the `message` prompt history
ERROR_RATE = 0.02
MALFORMED_MIN_MESSAGES = 50
HUGE_QUERY_BYTES = 100_000
BAD_CREATED_AT = "2026-13-45 25:61:00+00:00"
BAD_UPDATED_AT = "not-a-date"

# kind -> what the row looks like. Exactly one row of each kind per generated day when
# messages_per_day >= MALFORMED_MIN_MESSAGES (none below). The labeled frames name the kind in
# their `malformed` column.
MALFORMED_KINDS: dict[str, str] = {
    "message_missing_id": "messages: one row with id = null",
    "message_bad_timestamp": (
        f"messages: one row with created_at = {BAD_CREATED_AT!r} and updated_at = "
        f"{BAD_UPDATED_AT!r} (neither parses)"
    ),
    "message_missing_conversation_id": "messages: one row with conversation_id = null",
    "message_huge_query": f"messages: one row whose query is ~{HUGE_QUERY_BYTES // 1000} kB",
    "conversation_missing_id": "conversations: one row with id = null (its messages keep it)",
}
MALFORMED_MESSAGE_KINDS = tuple(k for k in MALFORMED_KINDS if k.startswith("message_"))
MALFORMED_CONVERSATION_KINDS = tuple(k for k in MALFORMED_KINDS if k.startswith("conversation_"))

TS_FORMAT = "%Y-%m-%d %H:%M:%S+00:00"
_WORLD_STREAM = 0x5EED_A995
_GAP_MEDIAN_S = 35.0
_GAP_MAX_S = 1800
_LATENCY_MAX_S = 60.0


@dataclass(frozen=True)
class ModelSpec:
    """An LLM as Dify bills it: prices per 1k tokens (price unit 0.001), latency in seconds."""

    provider: str
    model_id: str
    message_unit_price: float
    answer_unit_price: float
    latency_median_s: float
    latency_sigma: float


@dataclass(frozen=True)
class AppSpec:
    """A Dify chat app: its models (with traffic weights) and its prompt."""

    key: str
    name: str
    models: tuple[tuple[int, float], ...]  # (index into MODELS, weight)
    system_instruction: str
    system_instruction_tokens: int
    introduction: str


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("openai", "chatgpt-4o-latest", 0.005, 0.015, 2.2, 0.45),
    ModelSpec("openai", "gpt-4o-mini", 0.00015, 0.0006, 1.2, 0.35),
    ModelSpec("anthropic", "claude-3-5-sonnet-20241022", 0.003, 0.015, 3.0, 0.50),
    ModelSpec("google", "gemini-1.5-pro", 0.00125, 0.005, 2.6, 0.55),
    ModelSpec("deepseek", "deepseek-chat", 0.00027, 0.0011, 4.0, 0.60),
)

APPS: tuple[AppSpec, ...] = (
    AppSpec(
        "support_th",
        "Thai Support Bot",
        ((0, 0.8), (1, 0.2)),
        "You are the customer support assistant of a gaming website. Answer in the language "
        "of the user, politely, using the member data in the inputs. Never reveal bank "
        "account numbers. Hand over to a human agent with #AGENT when the user is upset.",
        1120,
        "สวัสดีค่ะ แอดมินยินดีให้บริการค่ะ มีอะไรให้ช่วยเหลือไหมคะ",
    ),
    AppSpec(
        "support_global",
        "Global Support Assistant",
        ((2, 0.75), (4, 0.25)),
        "You are the international support assistant. Reply in the user's language, be "
        "concise, check deposits and withdrawals with the listed transactions, and escalate "
        "with #AGENT when needed.",
        1060,
        "Hello! I am your support assistant. How can I help you today?",
    ),
    AppSpec(
        "payments",
        "Payments Helper",
        ((1, 1.0),),
        "You help members with deposits, withdrawals and refunds. Use listDeposit, "
        "listWithdrawal and the payment methods from the inputs. Reply in the user's language.",
        980,
        "Hi! I can help with deposits, withdrawals and refunds.",
    ),
    AppSpec(
        "vip",
        "VIP Concierge",
        ((3, 1.0),),
        "You are the personal concierge of VIP members. Be warm and proactive, offer VIP "
        "promotions, and answer in the user's language.",
        1010,
        "Welcome back! Your VIP concierge is here for you.",
    ),
)
_APP_TH, _APP_GLOBAL, _APP_PAYMENTS, _APP_VIP = range(4)

_TOPIC_WEIGHTS = {
    "payments": 0.30,
    "account": 0.16,
    "technical_issue": 0.12,
    "general_inquiry": 0.12,
    "pricing": 0.08,
    "feedback": 0.06,
    "feature_request": 0.06,
    "data_privacy": 0.05,
    "integration": 0.05,
}
_USER_GROUPS = ("REGULAR", "NEW", "VIP", "RISK")
_USER_GROUP_WEIGHTS = (0.70, 0.15, 0.08, 0.07)
_ORIGINS = ("web", "line", "ios", "android", "facebook")
_DEPOSIT_STATUS = ("success", "pending", "failed")
# Users are most active in their local evening.
_LOCAL_HOUR_WEIGHTS = np.array(
    [2.0, 1.2, 0.8, 0.5, 0.4, 0.4, 0.6, 1.0, 1.6, 2.2, 2.6, 2.8]
    + [3.0, 3.0, 2.9, 2.9, 3.1, 3.4, 3.8, 4.3, 4.8, 5.0, 4.4, 3.2]
)
_ERRORS: tuple[tuple[str, float, float, float], ...] = (
    # (text after "[provider] ", share, latency low, latency high)
    ("Connection Error, Request timed out.", 0.35, 60.0, 61.5),
    (
        "Rate Limit Error, Error code: 429 - Rate limit reached for requests per minute. "
        "Please try again in 20s.",
        0.30,
        0.1,
        0.6,
    ),
    (
        "Server Unavailable Error, Error code: 503 - The server is overloaded or not ready yet.",
        0.25,
        0.5,
        3.0,
    ),
    (
        "Bad Request Error, Error code: 400 - This model's maximum context length has been "
        "exceeded.",
        0.10,
        0.2,
        0.8,
    ),
)
_BANKS: dict[str, tuple[tuple[str, str], ...]] = {
    "th": (
        ("KDB", "Kasikorn Demo Bank"),
        ("SDB", "Siam Demo Bank"),
        ("BDB", "Bangkok Demo Bank"),
        ("KTD", "Krung Thai Demo"),
    ),
    "en": (("DBA", "Demo Bank of America"), ("ESB", "Example Savings Bank")),
    "de": (("MUB", "Musterbank"), ("BSK", "Beispiel Sparkasse")),
    "es": (("BEJ", "Banco Ejemplo"), ("CDP", "Caja de Prueba")),
    "fr": (("BEX", "Banque Exemple"), ("CDT", "Crédit de Test")),
    "ja": (("SBJ", "Sample Bank Japan"),),
    "pt": (("BEP", "Banco Exemplo"), ("CTS", "Caixa de Teste")),
    "vi": (("NHM", "Ngân hàng Mẫu"),),
}
_METHODS: dict[str, tuple[tuple[str, str], ...]] = {
    "th": (("bank", "Bank transfer"), ("qr", "PromptPay QR"), ("wallet", "TrueMoney Wallet")),
    "en": (("card", "Visa/Mastercard"), ("wallet", "PayPal"), ("bank", "Bank transfer")),
    "de": (("bank", "SEPA-Überweisung"), ("wallet", "PayPal"), ("card", "Kreditkarte")),
    "es": (("bank", "Transferencia SEPA"), ("card", "Tarjeta"), ("wallet", "Bizum")),
    "fr": (("bank", "Virement SEPA"), ("card", "Carte bancaire"), ("wallet", "PayPal")),
    "ja": (("bank", "銀行振込"), ("card", "クレジットカード"), ("wallet", "PayPay")),
    "pt": (("qr", "Pix"), ("bank", "TED"), ("card", "Cartão")),
    "vi": (("bank", "Chuyển khoản"), ("wallet", "MoMo"), ("qr", "VietQR")),
}


# --------------------------------------------------------------------------- text tables


class _Strings:
    """All phrase strings in one Polars Series (index 0 is ""), with group offsets."""

    def __init__(self) -> None:
        self.values: list[str] = [""]

    def add(self, items: tuple[str, ...] | list[str]) -> tuple[int, int]:
        """Append a group; return (offset, count)."""
        off = len(self.values)
        self.values.extend(items)
        return off, len(items)


@dataclass(frozen=True)
class _Tables:
    strings: pl.Series
    core_off: np.ndarray  # [lang, topic]
    core_cnt: np.ndarray
    core_intent: np.ndarray  # [string index] -> intent index (valid for core rows)
    core_tone: np.ndarray  # [string index] -> inherent tone index
    gen_off: np.ndarray  # [lang, generic intent]
    gen_cnt: np.ndarray
    followup_off: np.ndarray  # [lang]
    followup_cnt: np.ndarray
    opener_off: np.ndarray  # [lang]
    opener_cnt: np.ndarray
    clause_off: np.ndarray  # [lang, tone index]; neutral has count 0
    clause_cnt: np.ndarray
    answer_off: np.ndarray  # [lang, topic... then generic intents]
    answer_cnt: np.ndarray
    apology_off: np.ndarray  # [lang]
    apology_cnt: np.ndarray
    handoff: np.ndarray  # [lang]
    title: np.ndarray  # [lang, topic]
    system: np.ndarray  # [app] -> index of the JSON-escaped system prompt


_T = ph.TOPICS.index
_I = ph.INTENTS.index
_TONE = ph.TONES.index


def _build_tables() -> _Tables:
    s = _Strings()
    n_lang, n_topic, n_gen = len(ph.LANGUAGES), len(ph.TOPICS), len(ph.GENERIC_INTENTS)
    core_off = np.zeros((n_lang, n_topic), np.int64)
    core_cnt = np.zeros_like(core_off)
    gen_off = np.zeros((n_lang, n_gen), np.int64)
    gen_cnt = np.zeros_like(gen_off)
    clause_off = np.zeros((n_lang, len(ph.TONES)), np.int64)
    clause_cnt = np.zeros_like(clause_off)
    answer_off = np.zeros((n_lang, n_topic + n_gen), np.int64)
    answer_cnt = np.zeros_like(answer_off)
    followup_off = np.zeros(n_lang, np.int64)
    followup_cnt = np.zeros_like(followup_off)
    opener_off = np.zeros(n_lang, np.int64)
    opener_cnt = np.zeros_like(opener_off)
    apology_off = np.zeros(n_lang, np.int64)
    apology_cnt = np.zeros_like(apology_off)
    handoff = np.zeros(n_lang, np.int64)
    title = np.zeros((n_lang, n_topic), np.int64)
    intents: dict[int, int] = {}
    tones: dict[int, int] = {}
    for li, lang in enumerate(ph.LANGUAGES):
        sep = "" if lang.code == "ja" else " "
        for ti, topic in enumerate(ph.TOPICS):
            rows = lang.core[topic]
            off, cnt = s.add([text for _, _, text in rows])
            core_off[li, ti], core_cnt[li, ti] = off, cnt
            for k, (intent, tone, _) in enumerate(rows):
                intents[off + k] = _I(intent)
                tones[off + k] = _TONE(ph.tone_name(tone))
            title[li, ti] = s.add([lang.titles[topic]])[0]
        off, cnt = s.add([text for _, _, text in lang.followups])
        followup_off[li], followup_cnt[li] = off, cnt
        for k, (intent, tone, _) in enumerate(lang.followups):
            intents[off + k] = _I(intent)
            tones[off + k] = _TONE(ph.tone_name(tone))
        for gi, intent in enumerate(ph.GENERIC_INTENTS):
            gen_off[li, gi], gen_cnt[li, gi] = s.add(lang.generic[intent])
        for tone, clauses in lang.clauses.items():
            clause_off[li, _TONE(tone)], clause_cnt[li, _TONE(tone)] = s.add(
                [sep + c for c in clauses]
            )
        for ki, key in enumerate(ph.TOPICS + ph.GENERIC_INTENTS):
            answer_off[li, ki], answer_cnt[li, ki] = s.add(lang.answers[key])
        opener_off[li], opener_cnt[li] = s.add(lang.openers)
        apology_off[li], apology_cnt[li] = s.add(lang.apologies)
        handoff[li] = s.add([lang.handoff])[0]
    system = np.array([s.add([_json_text(a.system_instruction)])[0] for a in APPS], np.int64)
    unsafe = [v for v in s.values[1:] if _NEEDS_ESCAPE.search(v) and not v.startswith('"')]
    if unsafe:
        # Queries and answers are quoted into JSON without an escaping pass (it is the
        # slowest step at 1M rows), which is only correct while no phrase needs escaping.
        raise ValueError(f"demo phrases must not contain quotes/backslashes/controls: {unsafe}")
    core_intent = np.full(len(s.values), -1, np.int64)
    core_tone = np.full(len(s.values), -1, np.int64)
    core_intent[list(intents)] = list(intents.values())
    core_tone[list(tones)] = list(tones.values())
    return _Tables(
        strings=pl.Series("s", s.values, dtype=pl.String),
        core_off=core_off,
        core_cnt=core_cnt,
        core_intent=core_intent,
        core_tone=core_tone,
        gen_off=gen_off,
        gen_cnt=gen_cnt,
        followup_off=followup_off,
        followup_cnt=followup_cnt,
        opener_off=opener_off,
        opener_cnt=opener_cnt,
        clause_off=clause_off,
        clause_cnt=clause_cnt,
        answer_off=answer_off,
        answer_cnt=answer_cnt,
        apology_off=apology_off,
        apology_cnt=apology_cnt,
        handoff=handoff,
        title=title,
        system=system,
    )


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _json_text(text: str) -> str:
    """A JSON string literal (quoted, escaped) of `text`, for the few static strings."""
    import json

    return json.dumps(text, ensure_ascii=False)


_TABLES = _build_tables()


# --------------------------------------------------------------------------- helpers


def _pick(rng: np.random.Generator, off: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """Uniform index within each row's group [off, off + cnt)."""
    return off + (rng.random(off.shape[0]) * cnt).astype(np.int64)


def _choice(rng: np.random.Generator, weights: np.ndarray | list[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)


def _uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """`n` random version-4 UUID strings, from `rng` (so deterministic)."""
    return _uuids_keyed(rng, n)[0]


def _uuids_keyed(rng: np.random.Generator, n: int) -> tuple[pl.Series, np.ndarray]:
    """UUID strings plus sort keys: shape (2, n) uint64 whose order equals the strings' order.

    Hex of big-endian bytes sorts like the bytes, so two uint64 halves rank the strings
    exactly; `np.lexsort` on them is far cheaper than a string sort of a wide frame.
    """
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    keys = raw.view(">u8").reshape(n, 2).T.astype(np.uint64)
    arr = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), n, [None, pa.py_buffer(raw.tobytes())]
    )
    hexed = pl.Series("h", pl.from_arrow(arr)).cast(pl.Binary).bin.encode("hex")
    h = pl.col("h")
    return (
        pl.DataFrame({"h": hexed})
        .select(
            pl.concat_str(
                [h.str.slice(0, 8), h.str.slice(8, 4), h.str.slice(12, 4), h.str.slice(16, 4)]
                + [h.str.slice(20, 12)],
                separator="-",
            )
        )
        .to_series()
        .alias("uuid")
    ), keys


def _fmt(template: str, *args: pl.Expr | str) -> pl.Expr:
    """`pl.format` where `{}` are the only placeholders and every other brace is literal.

    Polars reads `{name}` as a column reference, which JSON templates are full of.
    """
    escaped = template.replace("{", "{{").replace("}", "}}").replace("{{}}", "{}")
    return pl.format(escaped, *args)


def _ts(col: pl.Expr) -> pl.Expr:
    """Epoch seconds -> Dify timestamp text."""
    return pl.from_epoch(col, time_unit="s").dt.strftime(TS_FORMAT)


def _amounts(rng: np.random.Generator, lang: np.ndarray, sigma: float = 0.8) -> np.ndarray:
    med = np.array([lg.amount_median for lg in ph.LANGUAGES])[lang]
    step = np.array([lg.amount_step for lg in ph.LANGUAGES])[lang]
    raw = med * np.exp(rng.normal(0.0, sigma, lang.shape[0]))
    return np.maximum(np.round(raw / step), 1).astype(np.int64) * step


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class _World:
    """What stays the same on every day for a seed: ids of apps/configs/users and user data."""

    app_ids: list[str]
    config_ids: dict[tuple[int, int], str]
    operator_ids: pl.Series
    user_ids: pl.Series
    user_lang: np.ndarray
    user_female: np.ndarray
    user_group: np.ndarray
    user_head: pl.Series  # inputs JSON from `{` to the comma before "balance"
    user_tail: pl.Series  # inputs JSON from "listDepositMethods" to the closing `}`
    lang_users: list[np.ndarray]  # user indices per language
    lang_cum: list[np.ndarray]  # cumulative activity weights per language (ends at 1)


@lru_cache(maxsize=4)
def _world(seed: int, pool_size: int) -> _World:
    rng = np.random.default_rng(np.random.SeedSequence([seed, _WORLD_STREAM]))
    app_ids = _uuids(rng, len(APPS)).to_list()
    pairs = [(a, m) for a, app in enumerate(APPS) for m, _ in app.models]
    config_ids = dict(zip(pairs, _uuids(rng, len(pairs)).to_list(), strict=True))
    operator_ids = _uuids(rng, 5)

    n = pool_size
    user_ids = _uuids(rng, n)
    lang = _choice(rng, [lg.share for lg in ph.LANGUAGES], n)
    lang[: len(ph.LANGUAGES)] = np.arange(len(ph.LANGUAGES))  # every language has a user
    female = rng.random(n) < 0.5
    group = _choice(rng, _USER_GROUP_WEIGHTS, n)
    origin = _choice(rng, [0.35, 0.3, 0.15, 0.15, 0.05], n)
    activity = rng.lognormal(0.0, 1.0, n)
    n_banks = 1 + (rng.random(n) < 0.3)
    bank_pick = rng.integers(0, 1 << 30, size=(n, 2))
    method_pick = rng.integers(0, 3, size=(n, 3))
    branch = rng.integers(1, 90, size=n)

    # Per-language bank and method tables flattened once; users index into them.
    def flat(table: dict[str, tuple[tuple[str, str], ...]]) -> tuple[pl.Series, ...]:
        items = [item for lg in ph.LANGUAGES for item in table[lg.code]]
        counts = np.array([len(table[lg.code]) for lg in ph.LANGUAGES])
        offsets = np.cumsum(counts) - counts
        return (
            pl.Series([i[0] for i in items]),
            pl.Series([i[1] for i in items]),
            pl.Series(offsets[lang]),
            pl.Series(counts[lang]),
        )

    bank_codes, bank_names, bank_off, bank_cnt = flat(_BANKS)
    method_groups, method_names, method_off, method_cnt = flat(_METHODS)

    def by_lang(values: list[str]) -> pl.Series:
        return pl.Series(values).gather(lang)

    frame = pl.DataFrame(
        {
            "no": np.arange(n, dtype=np.int64),
            "code": by_lang([lg.code for lg in ph.LANGUAGES]),
            "locale": by_lang([lg.locale for lg in ph.LANGUAGES]),
            "currency": by_lang([lg.currency for lg in ph.LANGUAGES]),
            "group": pl.Series(_USER_GROUPS).gather(group),
            "origin": pl.Series(_ORIGINS).gather(origin),
            "n_banks": n_banks.astype(np.int64),
            "branch": branch,
        }
    )
    for slot in range(2):
        k = (bank_off + pl.Series(bank_pick[:, slot]) % bank_cnt).to_numpy()
        frame = frame.with_columns(
            bank_codes.gather(k).alias(f"bc{slot}"), bank_names.gather(k).alias(f"bn{slot}")
        )
    # Deposit methods 0 and 1 are distinct (consecutive in the table); withdrawal is any.
    method_pick[:, 1] = method_pick[:, 0] + 1
    for slot in range(3):
        k = (method_off + pl.Series(method_pick[:, slot]) % method_cnt).to_numpy()
        frame = frame.with_columns(
            method_groups.gather(k).alias(f"g{slot}"), method_names.gather(k).alias(f"n{slot}")
        )
    no = pl.col("no").cast(pl.String).str.zfill(6)
    method = '{"id":{},"group":"{}","name":"{}","url":"https://pay.example.com/m/{}"}'

    def bank(code: str, name: str, suffix: str) -> pl.Expr:
        return _fmt(
            '{"displayName":"{}","bankName":"{}","bankBranch":"Demo Branch {}",'
            '"accountName":"DEMO USER {}","accountNumber":"DEMO-{}-{}"}',
            pl.col(code),
            pl.col(name),
            pl.col("branch"),
            no,
            no,
            pl.lit(suffix),
        )

    built = frame.select(
        head=_fmt(
            '{"username":"demo_{}_{}","lang":"{}","currency":"{}","rGroup":"{}","origin":"{}",',
            pl.col("code"),
            no,
            pl.col("locale"),
            pl.col("currency"),
            pl.col("group"),
            pl.col("origin"),
        ),
        tail=pl.concat_str(
            [
                pl.lit('"listDepositMethods":['),
                _fmt(method, pl.lit(1), pl.col("g0"), pl.col("n0"), pl.col("g0")),
                pl.lit(","),
                _fmt(method, pl.lit(2), pl.col("g1"), pl.col("n1"), pl.col("g1")),
                pl.lit('],"listWithdrawalMethods":['),
                _fmt(method, pl.lit(3), pl.col("g2"), pl.col("n2"), pl.col("g2")),
                pl.lit('],"banks":['),
                bank("bc0", "bn0", "1"),
                pl.when(pl.col("n_banks") > 1)
                .then(pl.lit(",") + bank("bc1", "bn1", "2"))
                .otherwise(pl.lit("")),
                pl.lit("]}"),
            ]
        ),
    )

    lang_users, lang_cum = [], []
    for li in range(len(ph.LANGUAGES)):
        idx = np.flatnonzero(lang == li)
        cum = np.cumsum(activity[idx])
        cum /= cum[-1]
        cum[-1] = 1.0
        lang_users.append(idx)
        lang_cum.append(cum)

    return _World(
        app_ids=app_ids,
        config_ids=config_ids,
        operator_ids=operator_ids,
        user_ids=user_ids,
        user_lang=lang,
        user_female=female,
        user_group=group,
        user_head=built["head"],
        user_tail=built["tail"],
        lang_users=lang_users,
        lang_cum=lang_cum,
    )


def pool_size(messages_per_day: int) -> int:
    """Number of end users in the stable pool for a given daily volume."""
    return max(200, messages_per_day // 3)


# --------------------------------------------------------------------------- one day


def _turn_counts(rng: np.random.Generator, total: int) -> np.ndarray:
    """Turns per conversation (geometric, 1..MAX_TURNS) summing exactly to `total`."""
    if total <= 0:
        return np.zeros(0, np.int64)
    parts: list[np.ndarray] = []
    have = 0
    while have < total:
        draw = np.minimum(rng.geometric(0.3, size=total // 3 + 16), MAX_TURNS).astype(np.int64)
        parts.append(draw)
        have += int(draw.sum())
    turns = np.concatenate(parts)
    cum = np.cumsum(turns)
    k = int(np.searchsorted(cum, total)) + 1
    turns = turns[:k].copy()
    turns[-1] -= int(cum[k - 1] - total)
    return turns


def generate_labeled_day(
    day: dt.date, seed: int, messages_per_day: int, *, malformed: bool = True
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Like `generate_day`, plus the ground truth the text was generated from.

    Conversations carry extra columns `language, topic, malformed`; messages carry `language,
    topic, intent, tone, turn, malformed` (`malformed` names the kind from `MALFORMED_KINDS`, or
    null). Useful to evaluate language detection and categorization against known labels.
    Rows are ordered by created_at then id (malformed timestamps at their intended place).
    """
    if messages_per_day <= 0:
        return _empty_labeled()
    rng = np.random.default_rng(np.random.SeedSequence([seed, day.toordinal()]))
    world = _world(seed, pool_size(messages_per_day))
    tb = _TABLES
    n_lang = len(ph.LANGUAGES)

    turns = _turn_counts(rng, messages_per_day)
    c = turns.shape[0]
    n = int(turns.sum())

    # ---- conversations: language, user, topic, app, model, start time
    c_lang = _choice(rng, [lg.share for lg in ph.LANGUAGES], c)
    c_user = np.empty(c, np.int64)
    u = rng.random(c)
    for li in range(n_lang):
        mask = c_lang == li
        pos = np.searchsorted(world.lang_cum[li], u[mask], side="right")
        c_user[mask] = world.lang_users[li][np.minimum(pos, world.lang_users[li].size - 1)]
    c_topic = _choice(rng, [_TOPIC_WEIGHTS[t] for t in ph.TOPICS], c)
    is_vip = world.user_group[c_user] == _USER_GROUPS.index("VIP")
    to_payments = (c_topic == _T("payments")) & (rng.random(c) < 0.5)
    c_app = np.where(
        is_vip,
        _APP_VIP,
        np.where(to_payments, _APP_PAYMENTS, np.where(c_lang == 0, _APP_TH, _APP_GLOBAL)),
    )
    c_model = np.empty(c, np.int64)
    c_config = np.empty(c, np.int64)  # index into the list of (app, model) pairs
    pair_index = {p: i for i, p in enumerate(world.config_ids)}
    u = rng.random(c)
    for a, app in enumerate(APPS):
        mask = c_app == a
        cum = np.cumsum([w for _, w in app.models])
        k = np.minimum(np.searchsorted(cum / cum[-1], u[mask], side="right"), len(app.models) - 1)
        models = np.array([m for m, _ in app.models])
        c_model[mask] = models[k]
        c_config[mask] = np.array([pair_index[(a, m)] for m in models])[k]
    offsets = np.array([lg.utc_offset for lg in ph.LANGUAGES])[c_lang]
    local_hour = _choice(rng, _LOCAL_HOUR_WEIGHTS, c)
    c_start = ((local_hour - offsets) % 24) * 3600 + rng.integers(0, 3600, c)

    # ---- messages: position in the conversation
    m_conv = np.repeat(np.arange(c), turns)
    first = np.cumsum(turns) - turns
    turn = np.arange(n) - first[m_conv]
    n_turns = turns[m_conv]
    is_last = turn == n_turns - 1
    lang = c_lang[m_conv]
    topic = c_topic[m_conv]
    model = c_model[m_conv]
    app = c_app[m_conv]

    # ---- what the user says: greeting / core sentence / gratitude / farewell
    generic = np.full(n, -1, np.int64)  # index into GENERIC_INTENTS, -1 = core sentence
    u = rng.random(n)
    generic[(turn == 0) & (n_turns >= 2) & (u < 0.12)] = 0
    u = rng.random(n)
    multi_last = is_last & (n_turns >= 2)
    generic[multi_last & (u < 0.40)] = 1
    generic[multi_last & (u >= 0.40) & (u < 0.52)] = 2
    is_core = generic < 0
    core_idx = _pick(rng, tb.core_off[lang, topic], tb.core_cnt[lang, topic])
    gi = np.maximum(generic, 0)
    gen_idx = _pick(rng, tb.gen_off[lang, gi], tb.gen_cnt[lang, gi])
    followup = is_core & (turn > 0) & (rng.random(n) < 0.3) & (tb.followup_cnt[lang] > 0)
    core_idx = np.where(
        followup, _pick(rng, tb.followup_off[lang], tb.followup_cnt[lang]), core_idx
    )
    body = np.where(is_core, core_idx, gen_idx)
    opener = np.where(
        is_core & (turn == 0) & (rng.random(n) < 0.35),
        _pick(rng, tb.opener_off[lang], tb.opener_cnt[lang]),
        0,
    )
    # Tone clause: none / positive / negative / mixed.
    clause_tone = _choice(rng, [0.45, 0.18, 0.25, 0.12], n)
    clause_tone_idx = np.array([-1, _TONE("positive"), _TONE("negative"), _TONE("mixed")])[
        clause_tone
    ]
    ct = np.maximum(clause_tone_idx, 0)
    clause = np.where(
        is_core & (clause_tone_idx >= 0),
        _pick(rng, tb.clause_off[lang, ct], tb.clause_cnt[lang, ct]),
        0,
    )
    # Ground-truth labels.
    generic_intent = np.array([_I(g) for g in ph.GENERIC_INTENTS])
    generic_tone = np.array([_TONE("neutral"), _TONE("positive"), _TONE("neutral")])
    intent = np.where(is_core, tb.core_intent[body], generic_intent[gi])
    inherent = np.where(is_core, tb.core_tone[body], generic_tone[gi])
    tone = _combine_tones(inherent, np.where(is_core, clause_tone_idx, -1))

    # ---- what the bot answers
    is_error = rng.random(n) < ERROR_RATE
    answer_key = np.where(is_core, topic, len(ph.TOPICS) + gi)
    answer_idx = _pick(rng, tb.answer_off[lang, answer_key], tb.answer_cnt[lang, answer_key])
    upset = np.isin(tone, [_TONE("negative"), _TONE("mixed")])
    apology = np.where(
        upset & (rng.random(n) < 0.8), _pick(rng, tb.apology_off[lang], tb.apology_cnt[lang]), 0
    )
    u = rng.random(n)
    handoff_mask = ((intent == _I("complaint")) & (u < 0.3)) | (upset & (u < 0.06))
    handoff = np.where(handoff_mask, tb.handoff[lang], 0)
    answer_parts = [np.where(is_error, 0, p) for p in (apology, answer_idx, handoff)]

    # ---- slot values
    female = world.user_female[c_user[m_conv]]
    amount = _amounts(rng, lang)
    ref = rng.integers(10_000_000, 99_999_999, n)
    mins = rng.integers(5, 91, n)

    # ---- timing
    lat_med = np.array([m.latency_median_s for m in MODELS])[model]
    lat_sig = np.array([m.latency_sigma for m in MODELS])[model]
    latency = np.clip(lat_med * np.exp(rng.normal(0.0, 1.0, n) * lat_sig), 0.3, _LATENCY_MAX_S)
    error_kind = _choice(rng, [e[1] for e in _ERRORS], n)
    err_lo = np.array([e[2] for e in _ERRORS])[error_kind]
    err_hi = np.array([e[3] for e in _ERRORS])[error_kind]
    latency = np.where(is_error, err_lo + (err_hi - err_lo) * rng.random(n), latency)
    latency = np.round(latency, 3)
    gap = np.clip(np.round(_GAP_MEDIAN_S * np.exp(rng.normal(0.0, 0.9, n))), 3, _GAP_MAX_S).astype(
        np.int64
    )
    lat_s = np.ceil(latency).astype(np.int64)
    step = lat_s + gap
    exclusive = np.cumsum(step) - step
    offset = exclusive - exclusive[first][m_conv]
    day_epoch = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    created = day_epoch + c_start[m_conv] + offset
    updated = created + lat_s

    # ---- tokens and prices (filled in Polars below where text lengths are needed)
    tok_noise = np.round(rng.normal(0.0, 25.0, n)).astype(np.int64)
    ans_noise = np.exp(rng.normal(0.0, 0.15, n))
    ans_extra = rng.integers(5, 25, n)
    sys_tokens = np.array([a.system_instruction_tokens for a in APPS])[app]

    # ---- ids
    conv_ids, conv_keys = _uuids_keyed(rng, c)
    msg_ids, msg_keys = _uuids_keyed(rng, n)

    # ---- per-conversation dynamic inputs and operator reads
    read = rng.random(c) < 0.2
    read_delay = rng.integers(60, 7200, c)
    operator = rng.integers(0, world.operator_ids.len(), c)
    inputs_mid = _inputs_middle(rng, c_lang, day_epoch + c_start)
    c_inputs = pl.DataFrame(
        {
            "h": world.user_head.gather(c_user),
            "m": inputs_mid,
            "t": world.user_tail.gather(c_user),
        }
    ).select(pl.concat_str(["h", "m", "t"]))["h"]

    # ---- malformed rows: last turns of conversations that end on `day`
    day_end = day_epoch + 86_400
    kinds: dict[str, int] = {}
    conv_bad = -1
    if malformed and messages_per_day >= MALFORMED_MIN_MESSAGES:
        last_rows = np.flatnonzero(is_last & (updated < day_end))
        chosen = rng.choice(last_rows, size=len(MALFORMED_MESSAGE_KINDS), replace=False)
        kinds = dict(zip(MALFORMED_MESSAGE_KINDS, chosen.tolist(), strict=True))
        others = np.setdiff1d(np.arange(c), m_conv[chosen])
        conv_bad = int(rng.choice(others))

    # ---- assemble messages
    s = tb.strings
    msg = pl.DataFrame(
        {
            "_conv": m_conv,
            "_turn": turn,
            "_lang": lang,
            "_female": female,
            "_error": is_error,
            "_error_text": pl.Series([e[0] for e in _ERRORS]).gather(error_kind),
            "_amt": amount,
            "_ref": ref,
            "_mins": mins,
            "_created": created,
            "_updated": updated,
            "_tok_noise": tok_noise,
            "_ans_noise": ans_noise,
            "_ans_extra": ans_extra,
            "_sys_tokens": sys_tokens,
            "_sys": s.gather(tb.system[app]),
            "_opener": s.gather(opener),
            "_body": s.gather(body),
            "_clause": s.gather(clause),
            "_a0": s.gather(answer_parts[0]),
            "_a1": s.gather(answer_parts[1]),
            "_a2": s.gather(answer_parts[2]),
            "id": msg_ids,
            "conversation_id": conv_ids.gather(m_conv),
            "app_id": pl.Series(world.app_ids).gather(app),
            "model_provider": pl.Series([m.provider for m in MODELS]).gather(model),
            "model_id": pl.Series([m.model_id for m in MODELS]).gather(model),
            "message_unit_price": np.array([m.message_unit_price for m in MODELS])[model],
            "answer_unit_price": np.array([m.answer_unit_price for m in MODELS])[model],
            "provider_response_latency": latency,
            "from_end_user_id": world.user_ids.gather(c_user[m_conv]),
            "inputs": c_inputs.gather(m_conv),
            "language": pl.Series([lg.code for lg in ph.LANGUAGES]).gather(lang),
            "topic": pl.Series(ph.TOPICS).gather(topic),
            "intent": pl.Series(ph.INTENTS).gather(intent),
            "tone": pl.Series(ph.TONES).gather(tone),
        }
    )
    msg = msg.with_columns(malformed=_labels(n, kinds))
    # Output order: created_at then id, null ids last (intended time for the bad timestamp).
    missing = kinds.get("message_missing_id")
    if missing is not None:
        msg_keys[:, missing] = np.iinfo(np.uint64).max
    msg_order = np.lexsort((msg_keys[1], msg_keys[0], created))
    messages = _assemble_messages(msg, kinds.get("message_huge_query"), msg_order)

    # ---- assemble conversations
    last_updated = updated[first + turns - 1]
    c_malformed = _labels(c, {"conversation_missing_id": conv_bad} if conv_bad >= 0 else {})
    first_intent = intent[first]
    verbs = {
        "question": "asked",
        "request": "made a request",
        "complaint": "complained",
        "greeting": "greeted and asked",
        "gratitude": "thanked",
        "farewell": "said goodbye",
        "troubleshooting": "reported a problem",
        "purchase_intent": "wanted to buy",
        "feedback": "gave feedback",
    }
    conv = pl.DataFrame(
        {
            "id": conv_ids,
            "app_id": pl.Series(world.app_ids).gather(c_app),
            "app_model_config_id": pl.Series(list(world.config_ids.values())).gather(c_config),
            "model_provider": pl.Series([m.provider for m in MODELS]).gather(c_model),
            "model_id": pl.Series([m.model_id for m in MODELS]).gather(c_model),
            "name": s.gather(tb.title[c_lang, c_topic]),
            "_verb": pl.Series([verbs[i] for i in ph.INTENTS]).gather(first_intent),
            "_topic_label": pl.Series([t.replace("_", " ") for t in ph.TOPICS]).gather(c_topic),
            "_lang_name": pl.Series([lg.name for lg in ph.LANGUAGES]).gather(c_lang),
            "dialogue_count": turns,
            "inputs": c_inputs,
            "introduction": pl.Series([a.introduction for a in APPS]).gather(c_app),
            "system_instruction": pl.Series([a.system_instruction for a in APPS]).gather(c_app),
            "system_instruction_tokens": np.array([a.system_instruction_tokens for a in APPS])[
                c_app
            ],
            "from_end_user_id": world.user_ids.gather(c_user),
            "_created": day_epoch + c_start,
            "_updated": last_updated,
            "_read": np.where(read, last_updated + read_delay, 0),
            "_is_read": read,
            "read_account_id": world.operator_ids.gather(operator),
            "language": pl.Series([lg.code for lg in ph.LANGUAGES]).gather(c_lang),
            "topic": pl.Series(ph.TOPICS).gather(c_topic),
            "malformed": c_malformed,
        }
    )
    if conv_bad >= 0:
        conv_keys[:, conv_bad] = np.iinfo(np.uint64).max
    conversations = _assemble_conversations(
        conv, np.lexsort((conv_keys[1], conv_keys[0], day_epoch + c_start))
    )
    return conversations, messages


_CONVERSATION_LABELS = {"language": pl.String(), "topic": pl.String(), "malformed": pl.String()}
_MESSAGE_LABELS = {
    "language": pl.String(),
    "topic": pl.String(),
    "intent": pl.String(),
    "tone": pl.String(),
    "turn": pl.Int64(),
    "malformed": pl.String(),
}


def _empty_labeled() -> tuple[pl.DataFrame, pl.DataFrame]:
    return (
        pl.DataFrame(schema={**schemas.CONVERSATIONS_WIRE_SCHEMA, **_CONVERSATION_LABELS}),
        pl.DataFrame(schema={**schemas.MESSAGES_WIRE_SCHEMA, **_MESSAGE_LABELS}),
    )


def _labels(n: int, rows: dict[str, int]) -> pl.Series:
    """A null String column with `kind` written at each `rows[kind]`."""
    out = pl.repeat(None, n, dtype=pl.String, eager=True).alias("malformed")
    if rows:
        out = out.scatter(list(rows.values()), list(rows.keys()))
    return out


def _combine_tones(inherent: np.ndarray, clause: np.ndarray) -> np.ndarray:
    """The tone a reader perceives from a sentence's own tone plus an appended clause."""
    pos, neg, neu, mix = (_TONE(t) for t in ("positive", "negative", "neutral", "mixed"))
    out = inherent.copy()
    has = clause >= 0
    out[has & (inherent == neu)] = clause[has & (inherent == neu)]
    out[has & (clause == mix)] = mix
    out[has & (inherent == pos) & (clause == neg)] = mix
    out[has & (inherent == neg) & (clause == pos)] = mix
    return out


def _inputs_middle(rng: np.random.Generator, c_lang: np.ndarray, start: np.ndarray) -> pl.Series:
    """`"balance":…,"rewardsPoints":…,"listDeposit":[…],"listWithdrawal":[…],` per conversation."""
    c = c_lang.shape[0]
    balance = np.round(_amounts(rng, c_lang, 1.0) * rng.random(c) * 2.0, 2)
    points = rng.integers(0, 5000, c)
    n_dep = _choice(rng, [0.3, 0.45, 0.25], c)
    n_wd = (rng.random(c) < 0.4).astype(np.int64)

    def entry(prefix: str, slot: int) -> tuple[pl.Expr, dict[str, np.ndarray]]:
        amt = _amounts(rng, c_lang)
        status = _choice(rng, [0.8, 0.15, 0.05], c)
        received = np.where(status == 0, amt, 0)
        when = start - rng.integers(300, 3 * 86_400, c)
        tx = rng.integers(10_000_000, 99_999_999, c)
        cols = {
            f"{prefix}{slot}_amt": amt,
            f"{prefix}{slot}_rec": received,
            f"{prefix}{slot}_status": np.array(_DEPOSIT_STATUS)[status],
            f"{prefix}{slot}_when": when,
            f"{prefix}{slot}_tx": tx,
        }
        p = f"{prefix}{slot}_"
        expr = _fmt(
            '{"id":"{}{}","status":"{}","date":"{}","url":"https://pay.example.com/tx/{}{}",'
            '"amount":{"submited":{},"received":{}}}',
            pl.lit(prefix),
            pl.col(p + "tx"),
            pl.col(p + "status"),
            pl.from_epoch(pl.col(p + "when"), time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S"),
            pl.lit(prefix),
            pl.col(p + "tx"),
            pl.col(p + "amt"),
            pl.col(p + "rec"),
        )
        return expr, cols

    d0, c0 = entry("D", 0)
    d1, c1 = entry("D", 1)
    w0, c2 = entry("W", 0)
    frame = pl.DataFrame(
        {"balance": balance, "points": points, "n_dep": n_dep, "n_wd": n_wd, **c0, **c1, **c2}
    )
    empty = pl.lit("")
    return frame.select(
        pl.concat_str(
            [
                _fmt('"balance":{},"rewardsPoints":{},"listDeposit":[', "balance", "points"),
                pl.when(pl.col("n_dep") >= 1).then(d0).otherwise(empty),
                pl.when(pl.col("n_dep") >= 2).then(pl.lit(",") + d1).otherwise(empty),
                pl.lit('],"listWithdrawal":['),
                pl.when(pl.col("n_wd") >= 1).then(w0).otherwise(empty),
                pl.lit("],"),
            ]
        ).alias("mid")
    ).to_series()


def _assemble_messages(msg: pl.DataFrame, huge_row: int | None, order: np.ndarray) -> pl.DataFrame:
    female = pl.col("_female")
    thai_p = pl.when(female).then(pl.lit("ค่ะ")).otherwise(pl.lit("ครับ"))
    thai_q = pl.when(female).then(pl.lit("คะ")).otherwise(pl.lit("ครับ"))
    query = (
        pl.concat_str([pl.col("_opener"), pl.col("_body"), pl.col("_clause")])
        .str.replace_all("{p}", thai_p, literal=True)
        .str.replace_all("{q}", thai_q, literal=True)
        .str.replace_all("{amt}", pl.col("_amt").cast(pl.String), literal=True)
        .str.replace_all("{ref}", _fmt("TX{}", pl.col("_ref")), literal=True)
        .str.replace_all("{mins}", pl.col("_mins").cast(pl.String), literal=True)
    )
    df = msg.with_columns(query=query, answer=pl.concat_str(["_a0", "_a1", "_a2"]))
    if huge_row is not None:
        # One row only, so plain Python is fine here: repeat its own text to ~100 kB.
        text = df["query"][huge_row] + " "
        big = text * (HUGE_QUERY_BYTES // len(text.encode()) + 1)
        df = df.with_columns(df["query"].scatter(huge_row, big))
    turn = pl.col("_turn")
    # Phrases need no JSON escaping (checked in _build_tables), so quoting is enough.
    q = pl.concat_str([pl.lit('"'), pl.col("query"), pl.lit('"')])
    a = pl.concat_str([pl.lit('"'), pl.col("answer"), pl.lit('"')])
    history = [
        pl.when(turn >= j)
        .then(
            pl.concat_str(
                [
                    pl.lit('{"role":"user","text":'),
                    q.shift(j),
                    pl.lit(',"files":[]},{"role":"assistant","text":'),
                    a.shift(j),
                    pl.lit(',"files":[]},'),
                ]
            )
        )
        .otherwise(pl.lit(""))
        for j in range(HISTORY_TURNS, 0, -1)
    ]
    message = pl.concat_str(
        [pl.lit('[{"role":"system","text":'), pl.col("_sys"), pl.lit(',"files":[]},')]
        + history
        + [pl.lit('{"role":"user","text":'), q, pl.lit(',"files":[]}]')]
    )
    err = pl.col("_error")
    message_tokens = (
        pl.col("_sys_tokens")
        + 40
        + 45 * pl.min_horizontal(turn, pl.lit(10))
        + pl.col("query").str.len_chars().clip(upper_bound=4000) // 2
        + pl.col("_tok_noise")
    ).clip(lower_bound=900)
    answer_tokens = (
        pl.when(err)
        .then(pl.lit(0, dtype=pl.Int64))
        .otherwise(
            (pl.col("answer").str.len_bytes() / 3.0 * pl.col("_ans_noise")).round().cast(pl.Int64)
            + pl.col("_ans_extra")
        )
    )
    df = df.with_columns(
        message=message,
        message_tokens=message_tokens.cast(pl.Int64),
        answer_tokens=answer_tokens,
        parent_message_id=pl.when(turn > 0).then(pl.col("id").shift(1)),
    )
    total = (
        pl.col("message_tokens") * pl.col("message_unit_price") * 0.001
        + pl.col("answer_tokens") * pl.col("answer_unit_price") * 0.001
    )
    df = df.with_columns(
        total_price=total,
        error=pl.when(err).then(_fmt("[{}] {}", pl.col("model_provider"), pl.col("_error_text"))),
    )
    df = df.with_columns(
        status=pl.when(err).then(pl.lit("error")).otherwise(pl.lit("normal")),
        message_metadata=pl.when(err)
        .then(pl.lit('{"usage":null,"retriever_resources":[]}'))
        .otherwise(
            _fmt(
                '{"usage":{"prompt_tokens":{},"prompt_unit_price":"{}","completion_tokens":{},'
                '"completion_unit_price":"{}","total_tokens":{},"total_price":"{}",'
                '"currency":"USD","latency":{}},"retriever_resources":[]}',
                pl.col("message_tokens"),
                pl.col("message_unit_price"),
                pl.col("answer_tokens"),
                pl.col("answer_unit_price"),
                pl.col("message_tokens") + pl.col("answer_tokens"),
                pl.col("total_price").round(7),
                pl.col("provider_response_latency"),
            )
        ),
        created_at=_ts(pl.col("_created")),
        updated_at=_ts(pl.col("_updated")),
        currency=pl.lit("USD"),
        message_price_unit=pl.lit(0.001),
        answer_price_unit=pl.lit(0.001),
        from_source=pl.lit("api"),
        agent_based=pl.lit(False),
        invoke_from=pl.lit("service-api"),
        turn=turn,
    )
    # Malformed rows (ids and timestamps only; the texts above stay consistent).
    kind = pl.col("malformed")
    df = df.with_columns(
        id=pl.when(kind == "message_missing_id").then(None).otherwise(pl.col("id")),
        conversation_id=pl.when(kind == "message_missing_conversation_id")
        .then(None)
        .otherwise(pl.col("conversation_id")),
        created_at=pl.when(kind == "message_bad_timestamp")
        .then(pl.lit(BAD_CREATED_AT))
        .otherwise(pl.col("created_at")),
        updated_at=pl.when(kind == "message_bad_timestamp")
        .then(pl.lit(BAD_UPDATED_AT))
        .otherwise(pl.col("updated_at")),
    )
    df = df.select(pl.all().gather(order))
    labels = ["language", "topic", "intent", "tone", "turn", "malformed"]
    wire = schemas.conform(df, schemas.MESSAGES_WIRE_SCHEMA)
    return pl.concat([wire, df.select(labels)], how="horizontal")


def _assemble_conversations(conv: pl.DataFrame, order: np.ndarray) -> pl.DataFrame:
    df = conv.with_columns(
        summary=_fmt(
            "User {} about {} in {}; {} turn(s).",
            pl.col("_verb"),
            pl.col("_topic_label"),
            pl.col("_lang_name"),
            pl.col("dialogue_count"),
        ),
        mode=pl.lit("chat"),
        status=pl.lit("normal"),
        from_source=pl.lit("api"),
        read_at=pl.when(pl.col("_is_read")).then(_ts(pl.col("_read"))),
        read_account_id=pl.when(pl.col("_is_read")).then(pl.col("read_account_id")),
        created_at=_ts(pl.col("_created")),
        updated_at=_ts(pl.col("_updated")),
        is_deleted=pl.lit(False),
        invoke_from=pl.lit("service-api"),
    )
    df = df.with_columns(
        id=pl.when(pl.col("malformed") == "conversation_missing_id")
        .then(None)
        .otherwise(pl.col("id"))
    ).select(pl.all().gather(order))
    wire = schemas.conform(df, schemas.CONVERSATIONS_WIRE_SCHEMA)
    return pl.concat([wire, df.select(["language", "topic", "malformed"])], how="horizontal")


def generate_day(
    day: dt.date, seed: int, messages_per_day: int, *, malformed: bool = True
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(conversations, messages) starting on `day`, in exactly the wire schemas.

    Deterministic in (day, seed, messages_per_day): the same call returns identical frames.
    `messages_per_day` is exact: the conversations started on `day` hold that many messages
    in total (some of them may be created after midnight). Set `malformed=False` to leave out
    the rows of `MALFORMED_KINDS`.
    """
    conversations, messages = generate_labeled_day(day, seed, messages_per_day, malformed=malformed)
    return (
        conversations.select(schemas.CONVERSATIONS_WIRE_SCHEMA.names()),
        messages.select(schemas.MESSAGES_WIRE_SCHEMA.names()),
    )
