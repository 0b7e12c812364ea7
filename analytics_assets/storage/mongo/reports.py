"""`analytics_reports`: one document per period (daily, weekly, monthly).

`_id` = `<period_type>_<period_key>`. A report is replaced whole when its period is
re-computed (the reference `$set` the same `_id` once per batch, so the last batch won and the
totals were wrong). `period_start`/`period_end` are ISO dates (inclusive start, exclusive end),
which is what a period key means; the report's own figures are free-form extra fields that the
reports stage defines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from analytics_assets.storage.mongo.base import WRITE_ID, Repository, _bson_value, utcnow
from analytics_assets.storage.mongo.collections import ANALYTICS_REPORTS, PERIOD_TYPES
from analytics_assets.storage.mongo.models import ReportDocument


def report_id(period_type: str, period_key: str) -> str:
    return f"{period_type}_{period_key}"


class ReportsRepository(Repository):
    collection_name = ANALYTICS_REPORTS

    def upsert_report(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """Write one period's report, replacing any earlier version. Returns the stored doc."""
        period_type = doc.get("period_type")
        period_key = doc.get("period_key")
        if period_type not in PERIOD_TYPES:
            raise ValueError(f"period_type must be one of {PERIOD_TYPES}, got {period_type!r}")
        if not period_key:
            raise ValueError("a report needs a period_key")
        stored = {k: _bson_value(v) for k, v in doc.items()}
        for bound in ("period_start", "period_end"):
            if isinstance(stored.get(bound), date):  # datetimes too: keep the date part
                stored[bound] = stored[bound].date().isoformat()
        stored["_id"] = report_id(period_type, period_key)
        now = utcnow()
        previous = self.collection.find_one({"_id": stored["_id"]}, {"created_at": 1})
        stored["created_at"] = (previous or {}).get("created_at") or now
        stored["updated_at"] = now
        self.collection.replace_one({"_id": stored["_id"]}, stored, upsert=True)
        return stored

    def get_report(self, period_type: str, period_key: str) -> ReportDocument | None:
        return self.collection.find_one(  # type: ignore[return-value]
            {"_id": report_id(period_type, period_key)}, {WRITE_ID: 0}
        )

    def list_reports(self, period_type: str | None = None) -> list[ReportDocument]:
        """Reports ordered by period type, then start."""
        flt = {"period_type": period_type} if period_type else {}
        return self.find(  # type: ignore[return-value]
            flt, sort=[("period_type", 1), ("period_start", 1)], projection={WRITE_ID: 0}
        )
