"""What `analytics-assets run` tells a person when a run fails: one paragraph, no trace.

The stack traces stay in the Dagster event log of the run (`make ui`); the terminal gets what
failed, for which partitions, why (the first line of the innermost error that is not
Dagster's wrapper) and what to do next.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from dagster import DagsterEventType, DagsterInstance

from analytics_assets.cli.errors import redact

WIDTH = 96
MAX_CAUSE = 400


@dataclass(frozen=True)
class RunOutcome:
    """One run of the command: did it succeed, how long, which run (None: never started)."""

    success: bool
    seconds: float
    run_id: str | None
    config_error: str | None = None


@dataclass(frozen=True)
class StepFailure:
    step: str
    error_class: str
    message: str


def _root(error) -> tuple[str, str]:
    """(class, first line) of the most specific error: Dagster's wrappers are skipped."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause or getattr(error, "context", None)
    chosen = next((e for e in chain if not e.cls_name.startswith("Dagster")), chain[0])
    lines = [line.strip() for line in (chosen.message or "").splitlines() if line.strip()]
    first = lines[0] if lines else chosen.cls_name
    first = re.sub(rf"^([\w.]+\.)?{re.escape(chosen.cls_name)}:\s*", "", first)
    if len(first) > MAX_CAUSE:
        first = first[: MAX_CAUSE - 1] + "…"
    return chosen.cls_name, first


def step_failures(instance: DagsterInstance, run_id: str) -> list[StepFailure]:
    """The failed steps of a run, from its event log."""
    out = []
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        if event is None:
            continue
        data = event.step_failure_data
        if data is None or data.error is None:
            out.append(StepFailure(event.step_key or "?", "Error", "failed"))
            continue
        cls, message = _root(data.error)
        out.append(StepFailure(event.step_key or "?", cls, message))
    return out


def _hint(text: str) -> str:
    lowered = text.lower()
    if "nocodb" in lowered:
        return (
            "check that NocoDB answers at NOCODB_URL and that NOCODB_API_TOKEN is valid "
            "(`curl $NOCODB_URL/api/v2/meta/bases` with the token), then run the same command "
            "again"
        )
    if "mongo" in lowered:
        return "check MONGODB_URI (or the embedded server: `make stop`), then run it again"
    if "no space left" in lowered or "errno 28" in lowered:
        return "free space where the lake lies (ANALYTICS_LAKE), then run it again"
    if "environment variable" in lowered:
        return "set the variable it names (see .env.example), then run it again"
    return "fix the cause above, then run the same command again"


def describe_failure(
    label: str,
    partitions: list[str],
    outcome: RunOutcome,
    failures: list[StepFailure],
) -> str:
    """The paragraph for one failed run (pure: tested without a run)."""
    days = f"{label} ({len(partitions)} partition{'s' if len(partitions) != 1 else ''})"
    if outcome.config_error:
        cause = outcome.config_error
        text = f"FAILED before it started, for {days}: {cause}. Nothing was written."
    else:
        failed = sorted({f.step.split(".")[0] for f in failures})
        causes = "; ".join(sorted({f"{f.error_class}: {f.message}" for f in failures}))
        cause = causes or "the run failed (no failed step recorded)"
        text = (
            f"FAILED: {', '.join(failed) or 'the run'} for {days}: {cause}. "
            "The assets that depend on it were skipped for these partitions, and no partition "
            "was half-written: what earlier runs stored stays as it was."
        )
    where = (
        f" Full trace: the Dagster event log of run {outcome.run_id} (`make ui`, Runs)."
        if outcome.run_id
        else ""
    )
    # A driver error may quote a connection string: its password never reaches the terminal.
    return textwrap.fill(redact(f"{text} What to do: {_hint(cause)}.{where}"), WIDTH)
