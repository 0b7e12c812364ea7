"""Personal data kept out of everything derived from raw data: pseudonyms and masking.

**Pseudonyms.** Raw storage keeps what the source had; analytics, reports, MongoDB and the
API carry only a keyed hash (HMAC-SHA256, truncated to 16 hex chars) of user and account ids.
The key is `PSEUDONYM_KEY`: without it the ids cannot be linked back to people. When it is not
configured, the first run generates a random key and keeps it in `<ANALYTICS_DATA_DIR>/
pseudonym.key` (mode 0600), so no two installations share a built-in key
(`pseudonym_key`). Rotating it: docs/reliability.md, "Pseudonym key".

**Masking.** Free text that is kept downstream (the translations in `translated_messages` and
the MongoDB translation cache, error details) goes through `mask_pii` first: e-mail addresses,
IBANs and long account numbers, card numbers, national account formats and phone numbers are
replaced by a placeholder. The patterns (`PATTERNS`, applied in order) cover the formats of
Thailand, Germany, Spain, France, Brazil, the UK and the US; docs/reliability.md lists them
with examples. Names cannot be told from other words by a pattern: they stay out of derived
data because `inputs` (where Dify keeps them) never leaves the raw layer.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

import polars as pl

KEY_FILE = "pseudonym.key"

# (name, pattern, placeholder), applied in this order: longer and more specific shapes first,
# so an IBAN is not half-masked as a phone number (a `+` starts a phone, never a card).
# Rust regex syntax (Polars): no lookaround.
PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "[email]"),
    # IBAN: DE (22), ES (24), FR (27), GB (22), BR (29), printed in groups of 4 or not.
    ("iban", r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b", "[account]"),
    # Phones in international form: +66 81 234 5678, +49 (0)30 1234567, +1 (415) 555-2671.
    (
        "phone_international",
        r"\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?(?:\(?\d{1,5}\)?[ .-]?){1,5}\d{2,5}\b",
        "[phone]",
    ),
    # 20-30 digits: Spanish CCC (20), French RIB (23), Brazilian account strings.
    ("long_account", r"\b(?:\d[ -]?){19,29}\d\b", "[account]"),
    # Payment cards: 13-19 digits, grouped by spaces or dashes.
    ("card", r"\b(?:\d[ -]?){12,18}\d\b", "[card]"),
    # Thai bank account xxx-x-xxxxx-x; UK sort code xx-xx-xx; Brazilian conta/agência 12345-6.
    ("th_account", r"\b\d{3}-\d-\d{5}-\d\b", "[account]"),
    ("uk_sort_code", r"\b\d{2}-\d{2}-\d{2}\b", "[account]"),
    ("br_account", r"\b\d{4,12}-[0-9Xx]\b", "[account]"),
    # National forms: US (415) 555-2671 / 415-555-2671; BR (11) 91234-5678.
    ("phone_us", r"(?:\(\d{3}\)|\b\d{3})[ .-]?\d{3}[ .-]\d{4}\b", "[phone]"),
    ("phone_br", r"(?:\(\d{2}\)|\b\d{2})[ ]?9?\d{4}-\d{4}\b", "[phone]"),
    # FR 06 12 34 56 78; ES 612 345 678 / 912 34 56 78.
    ("phone_fr", r"\b0[1-9](?:[ .-]?\d{2}){4}\b", "[phone]"),
    ("phone_es", r"\b[6789]\d{2}(?:[ ]?\d{3}[ ]?\d{3}|(?:[ ]\d{2}){3})\b", "[phone]"),
    # TH 081-234-5678 / 02-123-4567; UK 020 7946 0958 / 07700 900123; DE 030 1234567.
    ("phone_trunk", r"\b0\d{1,4}[ /-]?\d{3,4}[ -]?\d{3,4}\b", "[phone]"),
    ("phone_de", r"\b0\d{2,4}[ /-]?\d{4,8}\b", "[phone]"),
    # Anything else of 8+ digits in a row: plain account numbers (US 8-17, UK 8, DE up to 10,
    # TH 10), customer numbers.
    ("digits", r"\b\d{8,}\b", "[number]"),
)


# Raw columns with personal data or free text: never shown in metadata, logs or the UI.
PERSONAL_COLUMNS = frozenset(
    {
        "inputs",
        "query",
        "answer",
        "message",
        "name",
        "summary",
        "introduction",
        "system_instruction",
        "error",
        "from_end_user_id",
        "from_account_id",
        "read_account_id",
    }
)


def preview_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` fit for a preview in Dagster's event log: personal columns shown as `(hidden)`,
    other text masked. The event log is read by everyone with UI access, unlike the lake."""
    return frame.with_columns(
        [
            pl.lit("(hidden)").alias(name)
            if name in PERSONAL_COLUMNS
            else mask_pii_expr(pl.col(name))
            for name, dtype in frame.schema.items()
            if name in PERSONAL_COLUMNS or dtype == pl.String
        ]
    )


def mask_pii_expr(expr: pl.Expr) -> pl.Expr:
    """`expr` (text) with every `PATTERNS` match replaced by its placeholder; nulls stay null."""
    for _, pattern, placeholder in PATTERNS:
        expr = expr.str.replace_all(pattern, placeholder)
    return expr


def mask_pii(text: str | None) -> str | None:
    """One text through the same masking as `mask_pii_expr` (one implementation of it)."""
    if text is None:
        return None
    return pl.select(mask_pii_expr(pl.lit(text, dtype=pl.String))).item()


def pseudonym_key(configured: str, data_dir: Path | str) -> str:
    """The configured `PSEUDONYM_KEY`, or this installation's generated one in `data_dir`
    (`Settings.pseudonym_key` passes both).

    The generated key is written once with O_EXCL, so two processes starting at the same time
    agree on one key (the loser reads the winner's file).
    """
    if configured:
        return configured
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    for _ in range(50):  # a concurrent writer may not have flushed yet
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"pseudonym key file {path} is empty: delete it or set PSEUDONYM_KEY")


def pseudonym(value: str | None, key: str) -> str | None:
    if value is None or value == "":
        return None
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:16]


def pseudonymize(df: pl.DataFrame, column: str, key: str, alias: str) -> pl.DataFrame:
    """Add `alias` = keyed hash of `column`.

    The HMAC runs once per distinct value (users are far fewer than messages), then a join
    spreads it over the rows, so the per-row work stays in Polars.
    """
    distinct = df.select(pl.col(column).unique().drop_nulls())
    hashed = [pseudonym(v, key) for v in distinct[column].to_list()]
    lookup = distinct.with_columns(pl.Series(alias, hashed, dtype=pl.String()))
    return df.join(lookup, on=column, how="left", nulls_equal=False, maintain_order="left").select(
        [*df.columns, alias]
    )
