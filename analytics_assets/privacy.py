"""Pseudonymous ids for everything derived from raw data.

Raw storage keeps what the source had; analytics, reports, MongoDB and the API carry only a
keyed hash (HMAC-SHA256, truncated to 16 hex chars) of user and account ids. The key is
`PSEUDONYM_KEY`: without it the ids cannot be linked back to people.
"""

from __future__ import annotations

import hashlib
import hmac

import polars as pl


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
