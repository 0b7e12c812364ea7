"""Every aggregation pipeline against the same figures computed independently in Polars."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from analytics_assets.storage.mongo import MongoResource, category_id

START = date(2025, 1, 1)
DAYS = 40  # crosses ISO weeks and a month boundary


@pytest.fixture(scope="module")
def data(mongo_session_resource: MongoResource) -> dict[str, pl.DataFrame]:
    """Random but seeded conversation_analytics and category documents, written once."""
    rng = random.Random(7)
    rows: list[dict[str, Any]] = []
    for conv in range(160):
        first = rng.randrange(DAYS)
        for day in sorted({first + rng.choice([0, 0, 0, 1, 2, 9]) for _ in range(2)}):
            if day >= DAYS:
                continue
            model = "chatgpt-4o-latest" if conv % 4 else "claude"
            price = round(rng.uniform(0, 0.2), 6)
            # Two document shapes: the reference's (`model_id`, `total_price`) and the
            # analytics stage's (`model_ids` list, `total_cost`); the pipelines read both.
            analytics_shape = conv % 2 == 0
            rows.append(
                {
                    "conversation_id": f"conv-{conv}",
                    "date": START + timedelta(days=day),
                    "app_id": f"app-{conv % 3}",
                    "model_provider": "openai" if conv % 4 else "anthropic",
                    "model_id": None if analytics_shape else model,
                    "model_ids": ([model, "gpt-4o-mini"] if conv % 6 == 0 else [model])
                    if analytics_shape
                    else None,
                    "user_key": None if conv % 11 == 0 else f"user-{conv % 23}",
                    "message_count": rng.randint(1, 30),
                    "total_tokens": rng.randint(100, 5000),
                    "total_price": None if analytics_shape else price,
                    "total_cost": price if analytics_shape else None,
                    "is_deleted": conv % 17 == 0,
                }
            )
    conversations = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        partition=pl.col("date").dt.strftime("%Y-%m-%d"),
        price=pl.coalesce("total_price", "total_cost"),
        models=pl.coalesce("model_ids", pl.concat_list("model_id")),
    )
    cats: list[dict[str, Any]] = []
    for row in rows[::2]:
        for ctype, values in (
            ("topic", ["pricing", "account", "technical_issue"]),
            ("intent", ["question", "complaint"]),
        ):
            value = rng.choice(values)
            cats.append(
                {
                    "category_id": category_id(row["conversation_id"], ctype, value)
                    + f"_{row['date']}",
                    "conversation_id": row["conversation_id"],
                    "category_type": ctype,
                    "category_value": value,
                    "confidence_score": round(rng.uniform(0.6, 0.95), 4),
                    "app_id": row["app_id"],
                    "partition": row["date"].isoformat(),
                }
            )
    categories = pl.DataFrame(cats)

    db = mongo_session_resource.db()
    db["conversation_analytics"].delete_many({})
    db["conversation_categories"].delete_many({})
    mongo_session_resource.conversations().upsert_many(conversations.drop("price", "models"))
    mongo_session_resource.categories().upsert_many(categories)
    return {"conversations": conversations, "categories": categories}


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _rekey(df: pl.DataFrame, old: str, new: str) -> list[dict]:
    """Rows with the day column `old` renamed `new` and made a UTC datetime (as stored)."""
    rows = []
    for row in df.to_dicts():
        row[new] = _utc(row.pop(old))
        rows.append(row)
    return rows


def _active(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(~pl.col("is_deleted"))


def _close(actual: list[dict], expected: list[dict]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        for key, value in want.items():
            if isinstance(value, float):
                assert got.get(key) == pytest.approx(value), (key, got, want)
            else:
                assert got.get(key) == value, (key, got, want)


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_period_metrics(mongo_session_resource: MongoResource, data, unit: str) -> None:
    trunc = {"day": "1d", "week": "1w", "month": "1mo"}[unit]  # Polars weeks start Monday
    expected = (
        _active(data["conversations"])
        .with_columns(period=pl.col("date").dt.truncate(trunc))
        .group_by("period", "app_id")
        .agg(
            conversations=pl.col("conversation_id").n_unique(),
            messages=pl.col("message_count").sum(),
            tokens=pl.col("total_tokens").sum(),
            price=pl.col("price").sum(),
            unique_users=pl.col("user_key").drop_nulls().n_unique(),
        )
        .sort("period", "app_id")
    )
    want = _rekey(expected, "period", "period_start")
    got = mongo_session_resource.conversations().period_metrics(unit)  # type: ignore[arg-type]
    _close(got, want)
    if unit == "week":
        assert all(r["period_start"].weekday() == 0 for r in got)  # ISO weeks: Mondays


def test_period_metrics_filters(mongo_session_resource: MongoResource, data) -> None:
    lo, hi = date(2025, 1, 5), date(2025, 1, 12)
    expected = (
        _active(data["conversations"])
        .filter(pl.col("date").is_between(lo, hi, closed="left"), pl.col("app_id") == "app-1")
        .group_by("date")
        .agg(
            conversations=pl.col("conversation_id").n_unique(),
            messages=pl.col("message_count").sum(),
        )
        .sort("date")
    )
    got = mongo_session_resource.conversations().period_metrics("day", lo, hi, app_id="app-1")
    assert [(r["period_start"], r["conversations"], r["messages"]) for r in got] == [
        (_utc(d), c, m) for d, c, m in expected.rows()
    ]


def test_model_usage(mongo_session_resource: MongoResource, data) -> None:
    expected = (
        _active(data["conversations"])
        .explode("models")
        .rename({"models": "model"})
        .group_by("date", "model_provider", "model")
        .agg(
            conversations=pl.len(),
            messages=pl.col("message_count").sum(),
            tokens=pl.col("total_tokens").sum(),
            price=pl.col("price").sum(),
        )
        .sort("date", "model_provider", "model")
        .rename({"model": "model_id"})
    )
    want = _rekey(expected, "date", "day")
    _close(mongo_session_resource.conversations().model_usage(), want)


def test_length_distribution(mongo_session_resource: MongoResource, data) -> None:
    lo, hi = date(2025, 1, 3), date(2025, 1, 30)
    per_conv = (
        _active(data["conversations"])
        .filter(pl.col("date").is_between(lo, hi, closed="left"))
        .group_by("conversation_id")
        .agg(pl.col("message_count").sum())
    )
    counts = [0] * 5
    for n in per_conv["message_count"]:
        counts[0 if n < 2 else 1 if n < 6 else 2 if n < 11 else 3 if n < 21 else 4] += 1
    got = mongo_session_resource.conversations().length_distribution(lo, hi)
    assert [r["bucket"] for r in got] == ["1", "2-5", "6-10", "11-20", "21+"]
    assert [r["conversations"] for r in got] == counts
    assert sum(counts) == per_conv.height and counts[4] > 0


def test_user_activity(mongo_session_resource: MongoResource, data) -> None:
    expected = (
        _active(data["conversations"])
        .filter(pl.col("user_key").is_not_null())
        .group_by("user_key")
        .agg(
            conversations=pl.col("conversation_id").n_unique(),
            active_days=pl.col("date").n_unique(),
            messages=pl.col("message_count").sum(),
            tokens=pl.col("total_tokens").sum(),
            price=pl.col("price").sum(),
            first_day=pl.col("date").min(),
            last_day=pl.col("date").max(),
        )
        .sort(["conversations", "user_key"], descending=[True, False])
    )
    want = [
        {**r, "first_day": _utc(r["first_day"]), "last_day": _utc(r["last_day"])}
        for r in expected.to_dicts()
    ]
    _close(mongo_session_resource.conversations().user_activity(), want)
    assert len(mongo_session_resource.conversations().user_activity(limit=3)) == 3


def test_category_distribution(mongo_session_resource: MongoResource, data) -> None:
    expected = (
        data["categories"]
        .filter(pl.col("partition") >= "2025-01-10")
        .group_by("partition", "app_id", "category_type", "category_value")
        .agg(
            count=pl.len(),
            conversations=pl.col("conversation_id").n_unique(),
            avg_confidence=pl.col("confidence_score").mean(),
        )
        .sort("partition", "app_id", "category_type", "category_value")
        .rename({"partition": "day"})
    )
    got = mongo_session_resource.categories().distribution(start="2025-01-10")
    _close(got, expected.to_dicts())
    intents = mongo_session_resource.categories().distribution(category_type="intent")
    assert intents and {r["category_type"] for r in intents} == {"intent"}
