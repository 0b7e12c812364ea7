"""Reconciliation checks of the analytics and report assets, as pure functions.

Each function compares an output with the rows it summarizes and returns a `CheckOutcome`
(passed + metadata that says what differed). The assets run them on the frames they just built
and yield them as `AssetCheckResult`s (checks declared with `check_specs` on the asset), so a
check always sees exactly the data of its materialization, range runs included.

The sums here go back to `raw_messages` columns directly (not through `analytics.prepare`),
so a wrong join or filter in the analytics code shows up as a mismatch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from analytics_assets.defs.reports.build import BREAKDOWNS, GROUPED, Period

# Cost sums are floats summed in different orders; they agree to this relative tolerance.
COST_RTOL = 1e-9


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)


def _close(a: float | None, b: float | None) -> bool:
    a, b = a or 0.0, b or 0.0
    return math.isclose(a, b, rel_tol=COST_RTOL, abs_tol=1e-9)


def unique_keys(frame: pl.DataFrame, keys: Sequence[str]) -> CheckOutcome:
    """No two rows share `keys`."""
    dupes = frame.select(keys).filter(pl.struct(list(keys)).is_duplicated())
    return CheckOutcome(
        passed=dupes.height == 0,
        metadata={
            "keys": ", ".join(keys),
            "duplicate_rows": dupes.height,
            "examples": str(dupes.unique().head(5).rows()),
        },
    )


def non_negative(frame: pl.DataFrame, columns: Iterable[str]) -> CheckOutcome:
    """Token counts, costs and counts are never negative."""
    present = [c for c in columns if c in frame.columns]
    negatives = {c: int((frame[c] < 0).sum()) for c in present}
    return CheckOutcome(
        passed=not any(negatives.values()),
        metadata={"negative_values": sum(negatives.values()), "columns": ", ".join(present)},
    )


def conversations_cover_messages(
    conversation_rows: pl.DataFrame, raw_messages: pl.DataFrame
) -> CheckOutcome:
    """Every conversation seen in `raw_messages` has its row, and the rows hold every message."""
    seen = set(raw_messages["conversation_id"].unique().to_list())
    covered = set(conversation_rows["conversation_id"].unique().to_list())
    missing = sorted(seen - covered)
    extra = sorted(covered - seen)
    counted = int(conversation_rows["message_count"].sum()) if conversation_rows.height else 0
    return CheckOutcome(
        passed=not missing and not extra and counted == raw_messages.height,
        metadata={
            "conversations_in_raw_messages": len(seen),
            "conversation_rows": conversation_rows.height,
            "missing": len(missing),
            "missing_examples": ", ".join(missing[:5]),
            "unexpected": len(extra),
            "messages_in_rows": counted,
            "raw_messages": raw_messages.height,
        },
    )


def model_rows_reconcile(model_rows: pl.DataFrame, raw_messages: pl.DataFrame) -> CheckOutcome:
    """Per-model messages, errors, tokens and cost add up to the raw rows of the day(s)."""
    raw = _raw_totals(raw_messages)
    got = {
        "messages": int(model_rows["messages"].sum()),
        "message_tokens": int(model_rows["tokens_in"].sum()),
        "answer_tokens": int(model_rows["tokens_out"].sum()),
        "total_cost": float(model_rows["total_cost"].sum()),
    }
    return _compare(got, raw)


def _raw_totals(raw_messages: pl.DataFrame) -> dict[str, Any]:
    totals = raw_messages.select(
        pl.len().alias("messages"),
        pl.col("message_tokens").fill_null(0).sum().alias("message_tokens"),
        pl.col("answer_tokens").fill_null(0).sum().alias("answer_tokens"),
        pl.col("total_price").fill_null(0.0).sum().alias("total_cost"),
    ).to_dicts()[0]
    return {k: (v if v is not None else 0) for k, v in totals.items()}


def _compare(got: dict[str, Any], expected: dict[str, Any]) -> CheckOutcome:
    diffs = {}
    for name, value in expected.items():
        ok = _close(got[name], value) if isinstance(value, float) else got[name] == value
        if not ok:
            diffs[name] = f"{got[name]} != {value}"
    return CheckOutcome(
        passed=not diffs,
        metadata={**{f"{k}": v for k, v in got.items()}, "differences": str(diffs or "none")},
    )


def report_reconciles(
    report: dict[str, Any], raw_messages: pl.DataFrame, period: Period
) -> CheckOutcome:
    """A report's totals equal the sums over the raw rows of its period, and every breakdown
    (`by_topic`, ..., `by_model`, `by_app`) adds up to the report's totals."""
    start, end = period.start_datetime(), period.end_datetime()
    rows = raw_messages.filter((pl.col("created_at") >= start) & (pl.col("created_at") < end))
    raw = _raw_totals(rows)
    raw["total_tokens"] = raw["message_tokens"] + raw["answer_tokens"]
    raw["conversations"] = rows["conversation_id"].n_unique()
    problems: dict[str, str] = {}
    for name, value in raw.items():
        ok = _close(report[name], value) if name == "total_cost" else report[name] == value
        if not ok:
            problems[name] = f"report {report[name]} != rows {value}"
    for name in BREAKDOWNS:
        total = sum(report[name].values())
        if total != report["messages"]:
            problems[name] = f"sums to {total}, not {report['messages']} messages"
    for name in GROUPED:
        groups = report[name].values()
        for figure in ("messages", "message_tokens", "answer_tokens", "error_messages"):
            total = sum(g[figure] for g in groups)
            if total != report[figure]:
                problems[f"{name}.{figure}"] = f"sums to {total}, not {report[figure]}"
        cost = sum(g["total_cost"] for g in groups)
        if not _close(cost, report["total_cost"]):
            problems[f"{name}.total_cost"] = f"sums to {cost}, not {report['total_cost']}"
        # Distinct counts do not add up, but no group can exceed the whole.
        for figure in ("conversations", "users"):
            biggest = max((g[figure] for g in groups), default=0)
            if biggest > report[figure]:
                problems[f"{name}.{figure}"] = f"a group has {biggest} > {report[figure]}"
    negatives = [
        k
        for k in ("messages", "message_tokens", "answer_tokens", "total_tokens", "total_cost")
        if (report[k] or 0) < 0
    ]
    if negatives:
        problems["negative"] = ", ".join(negatives)
    return CheckOutcome(
        passed=not problems,
        metadata={
            "period": period.report_id,
            "raw_messages": raw["messages"],
            "report_messages": report["messages"],
            "problems": str(problems or "none"),
        },
    )


def combine(outcomes: Sequence[CheckOutcome], label: Sequence[str]) -> CheckOutcome:
    """One outcome for several partitions/periods of a range run (fails if any fails)."""
    failed = [name for name, o in zip(label, outcomes, strict=True) if not o.passed]
    metadata: dict[str, Any] = {"checked": len(outcomes), "failed": ", ".join(failed) or "none"}
    if len(outcomes) == 1:
        metadata.update(outcomes[0].metadata)
    else:
        for name, o in zip(label, outcomes, strict=True):
            if not o.passed:
                metadata[f"{name}"] = str(o.metadata)
    return CheckOutcome(passed=not failed, metadata=metadata)
