"""The dashboard over HTTP: login form → HttpOnly SameSite=Strict cookie, the page's charts are
inline SVG from `analytics_assets.charts`, its figures equal `/v1/metrics`, the conversation
browser opens one conversation's turns, and the cookie cannot authorize a deletion."""

from __future__ import annotations

import re

import httpx

from analytics_assets_tests.api.conftest import DAYS

RANGE = {"from": DAYS[0], "to": DAYS[1]}  # the dashboard's "to" is inclusive


def _signed_in(api_url, key) -> httpx.Client:
    client = httpx.Client(base_url=api_url, timeout=120)
    response = client.post("/login", data={"api_key": key}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    return client


def test_login_page_and_bad_key(api_url) -> None:
    page = httpx.get(f"{api_url}/")
    assert page.status_code == 200 and 'id="login-form"' in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]
    bad = httpx.post(f"{api_url}/login", data={"api_key": "aak_000000000000_nope"})
    assert bad.status_code == 401 and "not valid" in bad.text


def test_dashboard_charts_and_figures_equal_the_api(api_url, api_keys, http) -> None:
    client = _signed_in(api_url, api_keys.read)
    try:
        page = client.get("/", params=RANGE)
        assert page.status_code == 200
        html = page.text
        assert "<script" not in html
        charts = re.findall(r'<figure class="chart" id="chart-([\w-]+)">(.*?)</figure>', html, re.S)
        assert len(charts) == 10
        drawn = [cid for cid, body in charts if "<svg" in body]
        assert {"messages", "users", "topics", "sentiment", "latency", "errors"} <= set(drawn)
        figures = dict(re.findall(r'data-metric="(\w+)" data-value="([^"]*)"', html))
        api = http.get(
            "/v1/metrics",
            params={
                "measures": "messages,users,conversations",
                "from": DAYS[0],
                "to": "2026-11-04",
            },
        ).json()["data"][0]
        assert int(figures["messages"]) == api["messages"]
        assert int(figures["users"]) == api["users"]
        assert int(figures["conversations"]) == api["conversations"]

        model = http.get(
            "/v1/metrics",
            params={"measures": "messages", "dimensions": "model", **RANGE, "to": "2026-11-04"},
        ).json()["data"][0]
        narrowed = client.get("/", params={**RANGE, "model": model["model"]}).text
        value = dict(re.findall(r'data-metric="(\w+)" data-value="([^"]*)"', narrowed))
        assert int(value["messages"]) == model["messages"]

        link = re.search(r'href="(/conversations/[^"]+)"', html).group(1)
        detail = client.get(link)
        assert detail.status_code == 200 and detail.text.count('class="turn"') >= 1
        more = re.search(r'id="more" href="([^"]+)"', html)
        assert more and client.get(more.group(1).replace("&amp;", "&")).status_code == 200

        assert client.delete("/v1/users/0123456789abcdef").status_code == 401  # GETs only
        assert client.get("/", params={"from": "not-a-date"}).status_code == 200  # shown, not 500
    finally:
        client.close()


def test_signed_out_pages_go_to_the_login(api_url) -> None:
    response = httpx.get(f"{api_url}/conversations/whatever", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
