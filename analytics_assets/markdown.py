"""Markdown tables for Dagster metadata (the asset pages of the UI render them).

One writer for every table the assets, checks and the IO manager attach, so cells are escaped
the same way everywhere: a `|` or a newline inside a value would otherwise break the table.
Callers format numbers (thousands separators, shares) before passing them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any


def md_cell(value: Any, width: int | None = None, none: str = "") -> str:
    """One table cell: on one line, pipes escaped, cut at `width` characters when given."""
    if value is None:
        return none
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    text = " ".join(str(value).split()).replace("|", "\\|")
    if width is not None and len(text) > width:
        return text[: width - 1] + "…"
    return text


def markdown_table(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    align: Sequence[str] | None = None,
    width: int | None = None,
    none: str = "",
) -> str:
    """A Markdown table; `align` holds one of "l"/"r" per column (default: the renderer's)."""
    rule = [{"r": "---:", "l": "---"}[a] for a in align] if align else ["---"] * len(header)
    lines = [
        "| " + " | ".join(md_cell(h, width) for h in header) + " |",
        "|" + "|".join(rule) + "|",
    ]
    lines += ["| " + " | ".join(md_cell(v, width, none) for v in row) + " |" for row in rows]
    return "\n".join(lines)
