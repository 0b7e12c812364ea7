"""The celery app of the workers, for celery's own tools (`celery -A analytics_assets.celery_app
inspect ping`, flower). Built from the settings like `analytics-assets worker`, so no broker URL
(which may hold a password) has to appear on a command line."""

from __future__ import annotations

from analytics_assets.cli.worker import build_app

app = build_app()
