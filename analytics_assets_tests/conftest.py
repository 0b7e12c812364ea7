"""Shared pytest set-up: an isolated environment per session and the service fixtures.

Service fixtures (embedded MongoDB, moto S3, NocoDB, ...) live in `fixtures/`, one module per
service, and are registered here.
"""

from __future__ import annotations

pytest_plugins: list[str] = [
    "analytics_assets_tests.fixtures.s3",
    "analytics_assets_tests.fixtures.mongo",
    "analytics_assets_tests.fixtures.translation_servers",
    "analytics_assets_tests.fixtures.nocodb",
    "analytics_assets_tests.fixtures.fault_proxy",
    "analytics_assets_tests.fixtures.postgres",
]
