"""The dashboard in a real browser: headless Chromium (Debian package `chromium`, driven by
Playwright for Python through `executable_path`, no browser download) loads the page from the
test server, logs in, picks the range, sees the charts rendered and a figure equal to
`/v1/metrics`, opens a conversation, and saves screenshots with the test output."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from analytics_assets_tests.api.conftest import DAYS


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        # The test set-up installs the system browser when missing (root on Debian only).
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            check=False,
            capture_output=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("chromium")
    return found


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = _chromium()
    if path is None:
        pytest.skip("no system Chromium (Debian package `chromium`) and it cannot be installed")
    return path


def test_dashboard_in_chromium(chromium_path, api_url, api_keys, http, tmp_path_factory) -> None:
    from playwright.sync_api import sync_playwright

    shots = tmp_path_factory.mktemp("dashboard-screenshots")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{api_url}/")
            page.fill("#api_key", api_keys.read)
            page.click("#login-button")
            page.wait_for_selector("#pickers")
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert cookies["aa_key"]["httpOnly"] is True
            assert cookies["aa_key"]["sameSite"] == "Strict"
            assert page.evaluate("document.cookie") == ""  # scripts cannot read the key

            page.fill("#pick-from", DAYS[0])
            page.fill("#pick-to", DAYS[1])
            page.click("#apply")
            page.wait_for_url(f"**from={DAYS[0]}**")
            charts = page.locator("figure.chart svg")
            assert charts.count() >= 8
            for i in range(charts.count()):
                box = charts.nth(i).bounding_box()
                assert box and box["width"] > 100 and box["height"] > 30
            assert page.locator("figure.chart svg rect, figure.chart svg path").count() > 50
            shown = int(page.get_attribute("#kpi-messages", "data-value"))
            api = http.get(
                "/v1/metrics", params={"measures": "messages", "from": DAYS[0], "to": "2026-11-04"}
            ).json()["data"][0]["messages"]
            assert shown == api
            assert page.inner_text("#kpi-messages").replace(",", "") == str(api)
            page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

            page.click("#conversations tbody a >> nth=0")
            page.wait_for_selector("#detail .turn")
            assert page.locator("#detail .turn").count() >= 1
            page.screenshot(path=str(shots / "conversation.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "dashboard.png").stat().st_size > 10_000
    print(f"screenshots: {shots}")
