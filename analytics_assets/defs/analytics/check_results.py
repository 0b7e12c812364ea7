"""The Dagster side of the reconciliation checks: declared specs and results.

`checks.py` computes outcomes as pure functions; this module turns them into the
`AssetCheckSpec`s an asset declares and the `AssetCheckResult`s it yields, the same way for the
analytics and the report assets.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

from analytics_assets.defs.analytics.checks import CheckOutcome


def check_result(
    name: str,
    outcome: CheckOutcome,
    asset_key: str,
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR,
) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name,
        asset_key=asset_key,
        passed=outcome.passed,
        severity=severity,
        metadata={
            k: v if isinstance(v, int | float) else str(v) for k, v in outcome.metadata.items()
        },
    )


def standard_checks(asset_name: str, extra: Sequence[tuple[str, str]]) -> list[AssetCheckSpec]:
    specs = [
        AssetCheckSpec("unique_keys", asset=asset_name, description="No duplicate keys."),
        AssetCheckSpec(
            "no_negative_figures",
            asset=asset_name,
            description="Token counts, costs and counts are never negative.",
        ),
    ]
    return specs + [AssetCheckSpec(n, asset=asset_name, description=d) for n, d in extra]
