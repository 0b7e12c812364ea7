"""model_performance: percentiles, error rate, cost per 1k tokens, next-turn sentiment."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from analytics_assets.defs.analytics.checks import model_rows_reconcile, unique_keys
from analytics_assets.defs.analytics.models import model_performance
from analytics_assets.defs.analytics.prepare import prepare_messages
from analytics_assets_tests.defs.analytics.frames import KEY, Msg, categorized, raw_messages

LATENCIES = [0.4, 1.0, 1.3, 2.2, 9.5, 0.8, None]


def messages() -> list[Msg]:
    out = [
        Msg(
            f"x{i}",
            f"c{i % 2}",
            "u1",
            f"2025-03-03 10:{i:02d}",
            latency=lat,
            status="error" if i == 4 else "normal",
        )
        for i, lat in enumerate(LATENCIES)
    ]
    out.append(
        Msg(
            "y1",
            "c9",
            "u2",
            "2025-03-03 12:00",
            model="claude",
            app="app-b",
            message_tokens=0,
            answer_tokens=0,
            price=0.0,
        )
    )
    return out


def test_latency_percentiles_match_numpy_linear() -> None:
    msgs = messages()
    rows = model_performance(prepare_messages(raw_messages(msgs), categorized(msgs), None, KEY))
    gpt = rows.filter(pl.col("model_id") == "gpt-4o").row(0, named=True)
    lat = np.array([x for x in LATENCIES if x is not None])
    assert gpt["latency_samples"] == len(lat)
    for q, name in ((50, "latency_p50"), (95, "latency_p95"), (99, "latency_p99")):
        assert gpt[name] == pytest.approx(np.percentile(lat, q, method="linear"))
    assert gpt["messages"] == 7 and gpt["error_messages"] == 1
    assert gpt["error_rate"] == pytest.approx(1 / 7)
    assert gpt["tokens_in"] == 700 and gpt["tokens_out"] == 350
    assert gpt["cost_per_1k_tokens"] == pytest.approx(0.007 / 1050 * 1000)
    claude = rows.filter(pl.col("model_id") == "claude").row(0, named=True)
    assert claude["app_id"] == "app-b" and claude["cost_per_1k_tokens"] is None
    assert unique_keys(rows, ["date", "app_id", "model_id"]).passed
    assert model_rows_reconcile(rows, raw_messages(msgs)).passed


def test_next_turn_negative_share() -> None:
    msgs = [
        # c1: answer to t1 is followed by a negative turn, t2's by a positive one
        Msg("t1", "c1", "u1", "2025-03-03 10:00", sentiment="neutral"),
        Msg("t2", "c1", "u1", "2025-03-03 10:01", sentiment="negative", model="small"),
        Msg("t3", "c1", "u1", "2025-03-03 10:02", sentiment="positive"),
        # c2: the next turn has no label: not judged
        Msg("t4", "c2", "u2", "2025-03-03 10:00", sentiment="neutral"),
        Msg("t5", "c2", "u2", "2025-03-03 10:05", sentiment=None),
    ]
    rows = model_performance(prepare_messages(raw_messages(msgs), categorized(msgs), None, KEY))
    gpt = rows.filter(pl.col("model_id") == "gpt-4o").row(0, named=True)
    # gpt-4o answered t1 (next: negative), t3 (last turn), t4 (next: unlabeled), t5 (last)
    assert gpt["next_turns_judged"] == 1 and gpt["next_turns_negative"] == 1
    assert gpt["next_turn_negative_share"] == 1.0
    small = rows.filter(pl.col("model_id") == "small").row(0, named=True)
    assert small["next_turns_judged"] == 1 and small["next_turn_negative_share"] == 0.0


def test_reconcile_check_catches_a_lost_row() -> None:
    msgs = messages()
    rows = model_performance(prepare_messages(raw_messages(msgs), categorized(msgs), None, KEY))
    outcome = model_rows_reconcile(rows.head(1), raw_messages(msgs))
    assert not outcome.passed and "messages" in outcome.metadata["differences"]
