"""JAX scoring kernels: padded token-id batches in, topic/intent/sentiment scores out.

All rules are array operations over a fixed-shape batch `[rows, length]` of vocabulary hits
(see `tokenize.py`), so `jax.jit` compiles once per (rows, length) bucket and the same code runs
on CPU or GPU. Inputs per hit: scoring-table row (0 = padding), original token position,
capitals flag (packed in one int32, see `score_and_decide`); per message: total token count and
whether the whole text is capitals.

Rules, in the order applied (constants live in the taxonomy `settings`):

* phrases: where a known 2- or 3-token phrase starts, the engine passes the phrase's row of
  the scoring table (`engine.scoring_table`): the word's features with the phrase's topic and
  intent weights added, and the phrase's valence, which replaces the valences of the words it
  covers;
* topics: term weight x context, where the first clause (up to the first . , ; ! ? etc.) counts
  `1 + first_clause_boost` and a clause that ends in a question mark `1 + question_boost`;
* intents: term weight x position, `1 + start` for hits in the first `position_window` tokens
  and `1 + end` for hits in the last ones (greetings open, thanks and goodbyes close);
* sentiment per hit: lexicon valence (-4..4); boosters/dampeners up to 3 tokens before in the
  same clause add +-b with decay; an ALL-CAPS word in a mixed-case text adds emphasis; a negator
  up to 3 tokens before (or, for post-posed negators like German "nicht", 2 tokens after) in
  the same clause multiplies by `negation_scalar` (never for emoticons and emoji); hits before
  a contrast word ("but", "aber", "pero", "mais", "แต่" ...) count `contrast_before`, hits
  after it `contrast_after`;
  exclamation marks (up to 4) and repeated question marks amplify the sum, which is squashed to
  [-1, 1] as `s / sqrt(s^2 + alpha)`. `mixed` when both the positive and the negative mass reach
  `mixed_min` and the weaker is at least `mixed_ratio` of the stronger.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


def _shift_right(x: jax.Array, k: int, fill: int | float) -> jax.Array:
    pad = jnp.full((x.shape[0], k), fill, x.dtype)
    return jnp.concatenate([pad, x[:, :-k]], axis=1)


def _shift_left(x: jax.Array, k: int, fill: int | float) -> jax.Array:
    pad = jnp.full((x.shape[0], k), fill, x.dtype)
    return jnp.concatenate([x[:, k:], pad], axis=1)


def _cumsum(x: jax.Array) -> jax.Array:
    """Prefix sum along the hits axis as a log-depth scan.

    XLA on CPU lowers `jnp.cumsum` / `lax.cummin` to a windowed reduction that costs O(L^2) per
    row (a 64-hit batch took 17x an 8-hit one); `associative_scan` costs O(L log L). The inputs
    are small whole numbers, so the sums are exact either way.
    """
    return jax.lax.associative_scan(jnp.add, x, axis=1)


# Packed inputs (one int32 per hit, one per message), decoded inside the kernel. Why: the
# engine fills the padded batches with one scatter of one word per hit instead of four, and a
# batch is a quarter of the bytes to copy to a GPU. Positions are below 2^13 because texts are
# windowed to at most `tokenize.MAX_CHARS + 3` characters, so a row id has 17 bits.
POS_BITS = 13
ROW_SHIFT = POS_BITS + 1
MAX_ROWS = 1 << (31 - ROW_SHIFT)
EXTRA_FEATURES = 2  # phrase valence, phrase span: the last two columns of the scoring table


# Columns of `score_batch`'s `sent` output: the rule score and its parts, then the shape of the
# evidence (`sentiment_evidence`), which the learned weights use as inputs.
SENT_COLUMNS = (
    "total",
    "pos_mass",
    "neg_mass",
    "compound",
    "exclamations",
    "questions",
    "positive_hits",
    "negative_hits",
    "max_positive",
    "max_negative",
    "emoticon_sign",
    "negated_hits",
    "has_contrast",
    "log_tokens",
)


def sentiment_evidence(
    v: jax.Array, negated: jax.Array, fixed: jax.Array, contrast: jax.Array, n_tokens: jax.Array
) -> jax.Array:
    """How the sentiment evidence is spread, per message [B, 8] (`SENT_COLUMNS[6:]`).

    Why: the compound score alone cannot tell one mildly polar word in a long plain statement
    (often neutral to a reader) from several strong words, nor an emoticon (the writer's own
    verdict) from a word. `v` is the final per-hit valence (0 on padding and non-sentiment hits).
    """
    polar = v != 0
    n_pos = jnp.sum((v > 0).astype(jnp.float32), axis=1)
    n_neg = jnp.sum((v < 0).astype(jnp.float32), axis=1)
    max_pos = jnp.max(jnp.maximum(v, 0.0), axis=1)
    max_neg = jnp.max(jnp.maximum(-v, 0.0), axis=1)
    emoticon = jnp.sum(jnp.where(fixed & polar, jnp.sign(v), 0.0), axis=1)
    n_negated = jnp.sum((negated & polar).astype(jnp.float32), axis=1)
    has_contrast = (jnp.sum(contrast, axis=1) > 0).astype(jnp.float32)
    log_tokens = jnp.log1p(n_tokens.astype(jnp.float32))
    return jnp.stack(
        [n_pos, n_neg, max_pos, max_neg, emoticon, n_negated, has_contrast, log_tokens], axis=1
    )


@partial(jax.jit, static_argnames=("n_topics", "n_intents"))
def score_batch(
    row: jax.Array,
    pos: jax.Array,
    caps: jax.Array,
    n_tokens: jax.Array,
    all_caps: jax.Array,
    table: jax.Array,
    params: dict[str, jax.Array],
    n_topics: int,
    n_intents: int,
) -> dict[str, jax.Array]:
    """Raw scores of one padded batch: topic and intent scores and sentiment features.

    `row` is a row of the scoring table (`engine.scoring_table`): the token's own row, or, where
    a known phrase starts at the token, a row that holds the token's features with the phrase's
    topic and intent weights added and the phrase's valence and span in the two extra columns
    (one gather per hit instead of two). Returns `topic` [B, T], `intent` [B, I] (priors
    included), and `sent` [B, len(SENT_COLUMNS)]: total valence, positive mass, negative mass,
    compound score, exclamation count, question-mark count, then the evidence-shape columns of
    `sentiment_evidence`.
    """
    t_end, i_end = n_topics, n_topics + n_intents
    validf = (row > 0).astype(jnp.float32)
    tok = table[row]  # [B, L, F]: the one gather of token (and phrase) features
    scal = tok[..., i_end:]
    valence, booster, booster_after = scal[..., 0], scal[..., 1], scal[..., 2]
    neg_before, neg_after, contrast = scal[..., 3], scal[..., 4], scal[..., 5]
    brk, qmark, excl = scal[..., 6] * validf, scal[..., 7], scal[..., 8]
    fixed = scal[..., 10] > 0

    # Clauses: a break token closes the clause it is in.
    clause = _cumsum(brk) - brk
    first = (clause == 0).astype(jnp.float32)
    # Whether the clause ends in a question mark: the question flag of the nearest break at or
    # after each hit, carried right to left by a scan ("nearest break wins"; -1 = no break yet),
    # with no index arithmetic or gather.
    marks = jnp.where(brk > 0, qmark, -1.0)
    q_end = jax.lax.associative_scan(
        lambda far, near: jnp.where(near >= 0, near, far), marks, reverse=True, axis=1
    )
    q_end = jnp.maximum(q_end, 0.0)

    # Topics: term weights x clause context.
    ctx = (1.0 + params["first_clause_boost"] * first + params["question_boost"] * q_end) * validf
    # (Elementwise products and sums, not einsum: XLA on CPU turns a batched einsum into
    # many tiny matmuls, while a fused multiply-reduce streams through memory once.)
    topic = jnp.sum(tok[..., :t_end] * ctx[..., None], axis=1)

    # Intents with position scoring: one start/end weight per intent.
    window = params["position_window"]
    is_start = (pos < window).astype(jnp.float32) * validf
    is_end = (pos >= n_tokens[:, None] - window).astype(jnp.float32) * validf
    ifeat = tok[..., t_end:i_end]
    pos_w = (
        validf[..., None]
        + params["intent_start"] * is_start[..., None]
        + params["intent_end"] * is_end[..., None]
    )
    intent = jnp.sum(ifeat * pos_w, axis=1) + params["intent_prior"]

    # Sentiment: a phrase's valence replaces the valences of the words it covers, and the
    # leftmost phrase wins: a phrase that starts on a covered word ("worth it" inside "not
    # worth it") does not count. (Covered words are found from all phrase starts, then again
    # from the phrases that survive, which settles chains of up to three overlapping phrases.)
    pv, span = scal[..., -2], scal[..., -1]

    def _covered(starts: jax.Array) -> jax.Array:
        return _shift_right(starts, 1, False) | _shift_right(starts & (span > 2), 2, False)

    has_pv = pv != 0
    has_pv = has_pv & ~_covered(has_pv & ~_covered(has_pv))
    covered = _covered(has_pv)
    v = jnp.where(has_pv, pv, jnp.where(covered, 0.0, valence)) * validf
    sign = jnp.sign(v)

    boost = jnp.zeros_like(v)
    negated = jnp.zeros(v.shape, jnp.bool_)
    decays = (1.0, params["booster_decay_2"], params["booster_decay_3"])
    for k in (1, 2, 3):
        close = (
            (_shift_right(validf, k, 0.0) > 0)
            & (pos - _shift_right(pos, k, -100) <= params["negation_window"])
            & (_shift_right(clause, k, -1.0) == clause)
        )
        boost = boost + jnp.where(close, _shift_right(booster, k, 0.0) * decays[k - 1], 0.0)
        negated = negated | (close & (_shift_right(neg_before, k, 0.0) > 0))
    for k in (1, 2):
        close = (
            (_shift_left(validf, k, 0.0) > 0)
            & (_shift_left(pos, k, 10**6) - pos <= params["negation_after_window"])
            & (_shift_left(clause, k, -1.0) == clause)
        )
        negated = negated | (close & (_shift_left(neg_after, k, 0.0) > 0))
        boost = boost + jnp.where(close, _shift_left(booster_after, k, 0.0) * decays[k - 1], 0.0)
    shout = (caps & ~all_caps[:, None]).astype(jnp.float32)
    v = v + sign * (boost + params["caps_increment"] * shout)
    # Emoticons and emoji are never negated ("still no cheque :(").
    v = jnp.where(negated & ~fixed, v * params["negation_scalar"], v)

    # Polarity masses for `mixed` are taken before the contrast weighting: "love X but Y is
    # terrible" holds strong evidence of both even though the verdict leans to the second part.
    pos_mass = jnp.sum(jnp.maximum(v, 0.0), axis=1)
    neg_mass = jnp.sum(jnp.maximum(-v, 0.0), axis=1)

    contrast = contrast * validf
    seen = _cumsum(contrast)
    after = (seen - contrast) > 0
    before = (seen[:, -1:] - seen) > 0
    v = v * jnp.where(
        after, params["contrast_after"], jnp.where(before, params["contrast_before"], 1.0)
    )

    total = jnp.sum(v, axis=1)
    n_excl = jnp.sum(excl * validf, axis=1)
    n_q = jnp.sum(qmark * validf, axis=1)
    excl_amp = jnp.minimum(n_excl, params["exclamation_max"]) * params["exclamation_increment"]
    q_amp = jnp.where(n_q > 1, jnp.minimum(n_q, 3.0) * params["question_increment"], 0.0)
    total = total + jnp.sign(total) * (excl_amp + q_amp)
    compound = total / jnp.sqrt(total * total + params["normalize_alpha"])
    sent = jnp.concatenate(
        [
            jnp.stack([total, pos_mass, neg_mass, compound, n_excl, n_q], axis=1),
            sentiment_evidence(v, negated, fixed, contrast, n_tokens),
        ],
        axis=1,
    )
    # Sentiment as context for the classes (taxonomy `sentiment:` per class): a clearly
    # negative message leans to `complaint`, a clearly positive one to `feedback`.
    neg, pos_ = jnp.maximum(-compound, 0.0)[:, None], jnp.maximum(compound, 0.0)[:, None]
    intent = intent + params["intent_neg"] * neg + params["intent_pos"] * pos_
    topic = topic + params["topic_mag"] * jnp.abs(compound)[:, None]
    return {"topic_scores": topic, "intent_scores": intent, "sent": sent}


@jax.jit
def decide_rules(
    topic: jax.Array, intent: jax.Array, sent: jax.Array, params: dict[str, jax.Array]
) -> dict[str, jax.Array]:
    """Labels and confidences from raw scores (the rule-based decision).

    Topic: softmax over the topics that scored plus an `other` anchor at `other_score`, so a
    message with no topic evidence is `other` (index T). Intent: softmax over all intents.
    Sentiment: positive / negative / neutral by compound-score thresholds, `mixed` when strong
    evidence of both polarities meets (indices 0..3 in that order).
    """
    beta = params["confidence_beta"]
    anchor = jnp.full((topic.shape[0], 1), params["other_score"], topic.dtype)
    t_logits = jnp.where(topic > 0, beta * topic, -1e9)
    t_logits = jnp.concatenate([t_logits, beta * anchor], axis=1)
    t_prob = jax.nn.softmax(t_logits, axis=1)
    i_prob = jax.nn.softmax(beta * intent, axis=1)
    compound, pos_mass, neg_mass = sent[:, 3], sent[:, 1], sent[:, 2]
    strong = jnp.minimum(pos_mass, neg_mass)
    mixed = (strong >= params["mixed_min"]) & (
        strong >= params["mixed_ratio"] * jnp.maximum(pos_mass, neg_mass)
    )
    label = jnp.where(
        mixed,
        3,
        jnp.where(
            compound >= params["positive_threshold"],
            0,
            jnp.where(compound <= -params["negative_threshold"], 1, 2),
        ),
    )
    return {
        "topic": jnp.argmax(t_prob, axis=1),
        "topic_confidence": jnp.minimum(jnp.max(t_prob, axis=1), 0.99),
        "intent": jnp.argmax(i_prob, axis=1),
        "intent_confidence": jnp.max(i_prob, axis=1),
        "sentiment": label,
        "sentiment_score": jnp.clip(compound, -1.0, 1.0),
    }


LABEL_COLUMNS = (
    "topic",
    "topic_confidence",
    "intent",
    "intent_confidence",
    "sentiment",
    "sentiment_score",
)


@partial(jax.jit, static_argnames=("n_topics", "n_intents", "with_raw"))
def score_and_decide(
    hits: jax.Array,
    msgs: jax.Array,
    table: jax.Array,
    params: dict[str, jax.Array],
    n_topics: int,
    n_intents: int,
    with_raw: bool = False,
) -> dict[str, jax.Array]:
    """`score_batch` then `decide_rules`, compiled as one program per batch shape.

    Inputs are packed int32: `hits` [B, L] = row << ROW_SHIFT | position << 1 | capitals per
    hit (0 = padding) and `msgs` [B] = token count << 1 | whole text in capitals per message.

    The labels come back packed in one [B, 6] float32 array (`LABEL_COLUMNS` order), so each
    batch is one device-to-host copy; raw scores only when `with_raw`.
    """
    raw = score_batch(
        hits >> ROW_SHIFT,
        (hits >> 1) & ((1 << POS_BITS) - 1),
        (hits & 1) > 0,
        msgs >> 1,
        (msgs & 1) > 0,
        table,
        params,
        n_topics,
        n_intents,
    )
    out = decide_rules(raw["topic_scores"], raw["intent_scores"], raw["sent"], params)
    packed = jnp.stack([out[c].astype(jnp.float32) for c in LABEL_COLUMNS], axis=1)
    return {"packed": packed, **raw} if with_raw else {"packed": packed}
