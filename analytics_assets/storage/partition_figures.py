"""Per-partition figures for the materialization events of a single-run range.

Dagster gives every partition of a range run the same output metadata, so a figure computed
over the run (`messages 19962`) would show on each day of the UI's partition view. Figures
added here are scoped to one partition and override the run-wide ones of the same name
(Dagster merges partition-scoped asset metadata over the output's), so a partition's event
tells that partition's truth. The IO manager adds the file figures (row count, bytes, path);
asset bodies add their own (messages, conversations, ...) with `figures_per_day`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl


def figures_per_day(
    frame: pl.DataFrame, column: str, figures: Mapping[str, pl.Expr], keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """`figures` aggregated per daily partition key (the UTC date of `column`, a date,
    datetime or ISO string column). A key without rows gets the figures of an empty frame
    (0 for counts and sums); figures without a value (a mean of nothing) are left out."""
    col = pl.col(column)
    dtype = frame.schema[column]
    day = col.dt.date() if dtype.is_temporal() and dtype != pl.Date else col
    day = day.cast(pl.String).str.slice(0, 10).alias("_day")
    summary = frame.group_by(day).agg(**figures)
    found = {row.pop("_day"): row for row in summary.iter_rows(named=True)}
    empty = frame.clear().select(**figures).row(0, named=True)
    return {
        key: {name: value for name, value in found.get(key, empty).items() if value is not None}
        for key in keys
    }


def add_partition_figures(context: Any, figures: Mapping[str, Mapping[str, Any]]) -> None:
    """Attach `figures[partition_key]` to that partition's materialization event only.

    `context` is an asset's execution context or an IO manager's output context inside a run
    (contexts built by hand in tests have no step and get nothing); in an asset body call this
    before yielding the `Output`.
    """
    if hasattr(context, "add_asset_metadata"):  # AssetExecutionContext
        for key, values in figures.items():
            context.add_asset_metadata(dict(values), partition_key=key)
        return
    try:
        step = context.step_context  # OutputContext inside a run
    except Exception:  # noqa: BLE001 (a context built by hand has none)
        return
    if step is None or not context.has_asset_key:
        return
    for key, values in figures.items():
        step.add_asset_metadata(dict(values), asset_key=context.asset_key, partition_key=key)
