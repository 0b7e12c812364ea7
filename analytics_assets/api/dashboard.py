"""The dashboard at `/`: a login form, then charts and a conversation browser, rendered on the
server from the same queries as `/v1/metrics` and `/v1/conversations`.

* Login posts the key once; the server verifies it and stores it in an `HttpOnly`,
  `SameSite=Strict` cookie (`Secure` with `API_COOKIE_SECURE`), so no page script ever holds it
  and other sites cannot make the browser send it. The cookie authenticates GET requests only
  (`auth.presented_key`), and the pages carry no script at all (CSP `script-src 'none'`).
* Charts are inline SVG from `analytics_assets.charts` (matplotlib, shared with the HTML report
  pages): nothing is fetched from a CDN or the internet at run time.
* Every figure is computed by `metrics.run_query` over the store's row-level facts, through the
  same result cache as the API, so a number on the page equals what `/v1/metrics` answers for
  the same range and filters (the browser test checks one).
* Pages are Jinja2 templates with autoescape (`templates/*.html.j2`): every label is data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from analytics_assets.api.auth import COOKIE_NAME, KeyVerifier, presented_key
from analytics_assets.api.conversations import ConversationQuery, CursorError
from analytics_assets.api.metrics import MetricsQuery, QueryError
from analytics_assets.charts import (
    SENTIMENT_COLOURS,
    bar_chart,
    column_chart,
    day_label,
    fmt_cost,
    fmt_int,
    fmt_percent,
    fmt_seconds,
    grouped_bar_chart,
)
from analytics_assets.settings import Settings

STATIC = Path(__file__).parent / "static"
COOKIE_MAX_AGE_S = 8 * 3600
DEFAULT_DAYS = 7
PICKERS = (("app", "App"), ("model", "Model"), ("language", "Language"))
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
KPIS = (
    ("messages", "Messages", fmt_int),
    ("conversations", "Conversations", fmt_int),
    ("users", "Users", fmt_int),
    ("cost", "Cost", fmt_cost),
    ("latency_p95", "Latency p95", fmt_seconds),
    ("error_rate", "Error rate", fmt_percent),
)

Query = Callable[[MetricsQuery], list[dict[str, Any]]]


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("analytics_assets.api", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **values: Any) -> str:
    return _templates().get_template(name).render(**values)


def picked_range(params: dict[str, str], today: date | None = None) -> tuple[date, date]:
    """The inclusive day range of the pickers; default the last `DEFAULT_DAYS` days."""
    today = today or datetime.now(UTC).date()
    try:
        last = date.fromisoformat(params["to"]) if params.get("to") else today
        first = (
            date.fromisoformat(params["from"])
            if params.get("from")
            else last - timedelta(days=DEFAULT_DAYS - 1)
        )
    except ValueError as exc:
        raise QueryError("from", "dates are YYYY-MM-DD") from exc
    if first > last:
        raise QueryError("from", "from must not be after to")
    return first, last


def _rows(rows: list[dict[str, Any]], key: str, measure: str) -> list[tuple[str, object]]:
    return [(str(r[key]), r[measure]) for r in rows if r.get(key) is not None]


def share_per_day(days: list[str], shares: list[object]) -> str:
    """A day-by-day column chart of a bad-news share (negative sentiment, errors)."""
    return column_chart(
        days,
        shares,
        colour=SENTIMENT_COLOURS["negative"],
        value_format=fmt_percent,
        axis_format=fmt_percent,
    )


def dashboard_view(query: Query, first: date, last: date, filters: dict[str, str]) -> dict:
    """Everything the dashboard page shows, from metrics queries (pure given `query`)."""
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    chosen = {k: (v,) for k, v in filters.items() if v}

    def ask(measures: tuple[str, ...], dims: tuple[str, ...] = (), granularity: str = "none"):
        return query(MetricsQuery(measures, dims, granularity, start, end, chosen))

    pickers = []
    for name, label in PICKERS:
        options = ask(("messages",), (name,))  # options ignore their own filter
        if name in chosen:
            others = {k: v for k, v in chosen.items() if k != name}
            options = query(MetricsQuery(("messages",), (name,), "none", start, end, others))
        pickers.append((name, label, sorted(str(r[name]) for r in options if r[name])))

    totals = ask(tuple(name for name, _, _ in KPIS))
    total = totals[0] if totals else {}
    kpis = [
        {"name": name, "label": label, "text": fmt(total.get(name)), "raw": total.get(name)}
        for name, label, fmt in KPIS
    ]
    daily = ask(("messages", "users", "error_rate", "negative_share"), granularity="day")
    days = [day_label(r["period"])[:10] for r in daily]
    by_model = ask(("latency_p50", "latency_p95", "cost"), ("model",))
    by_topic = ask(("messages", "negative_share"), ("topic",))
    negative_topics = sorted(
        (r for r in by_topic if r["messages"] >= 5 and r["topic"] != "unknown"),
        key=lambda r: (-r["negative_share"], r["topic"]),
    )[:8]
    charts = [
        ("messages", "Messages per day", column_chart(days, [r["messages"] for r in daily])),
        ("users", "Users per day", column_chart(days, [r["users"] for r in daily])),
        (
            "topics",
            "Topic shares (messages)",
            bar_chart(_rows(by_topic, "topic", "messages"), show_share=True),
        ),
        (
            "intents",
            "Intent shares (messages)",
            bar_chart(
                _rows(ask(("messages",), ("intent",)), "intent", "messages"), show_share=True
            ),
        ),
        (
            "sentiment",
            "Sentiment shares (messages)",
            bar_chart(
                _rows(ask(("messages",), ("sentiment",)), "sentiment", "messages"),
                colours=SENTIMENT_COLOURS,
                show_share=True,
            ),
        ),
        (
            "negative-trend",
            "Negative sentiment share per day",
            share_per_day(days, [r["negative_share"] for r in daily]),
        ),
        (
            "latency",
            "Latency p50 / p95 by model",
            grouped_bar_chart(
                [(str(r["model"]), [r["latency_p50"], r["latency_p95"]]) for r in by_model],
                ["p50", "p95"],
            ),
        ),
        (
            "cost",
            "Cost by model",
            bar_chart(_rows(by_model, "model", "cost"), value_format=fmt_cost),
        ),
        (
            "errors",
            "Error rate per day",
            share_per_day(days, [r["error_rate"] for r in daily]),
        ),
        (
            "negative-topics",
            "Topics with the most negative sentiment",
            bar_chart(
                [(r["topic"], r["negative_share"]) for r in negative_topics],
                value_format=fmt_percent,
                colours={
                    r["topic"].lower(): SENTIMENT_COLOURS["negative"] for r in negative_topics
                },
            ),
        ),
    ]
    return {
        "pickers": pickers,
        "kpis": kpis,
        "charts": [
            {"id": cid, "title": title, "svg": Markup(svg)}  # noqa: S704 - SVG from charts.py
            for cid, title, svg in charts
        ],
    }


def mount(
    app: FastAPI,
    verifier: KeyVerifier,
    settings: Settings,
    query: Query,
    conversation_page: Callable[[ConversationQuery, str | None], tuple[list[dict], str | None]],
    conversation: Callable[[str], dict[str, Any] | None],
) -> None:
    """Add the dashboard routes; `query`, `conversation_page` and `conversation` are the app's
    own (cached) implementations of the `/v1` endpoints."""

    def signed_in(request: Request):
        key = presented_key(request)
        found = verifier.verify(key) if key else None
        if found is not None:
            request.state.key_id = found.key_id
        return found

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        found = signed_in(request)
        if found is None:
            return HTMLResponse(render("login.html.j2", message=""), headers=HEADERS)
        params = {k: v.strip()[:200] for k, v in request.query_params.items()}
        filters = {name: params.get(name, "") for name, _ in PICKERS}
        error = ""
        try:
            first, last = picked_range(params)
            if (last - first).days + 1 > settings.api_max_range_days:
                raise QueryError("to", f"at most {settings.api_max_range_days} days")
        except QueryError as exc:
            error = str(exc)
            first, last = picked_range({})
        view = dashboard_view(query, first, last, filters)
        listing = ConversationQuery(
            start=datetime.combine(first, datetime.min.time()),
            end=datetime.combine(last + timedelta(days=1), datetime.min.time()),
            limit=25,
            filters={k: (v,) for k, v in filters.items() if v},
        )
        try:
            rows, next_cursor = conversation_page(listing, params.get("cursor") or None)
        except CursorError:
            rows, next_cursor = conversation_page(listing, None)
        for row in rows:
            row["cost"] = fmt_cost(row.get("total_cost"))
        picked = {"from": first.isoformat(), "to": last.isoformat(), **filters}
        next_page = (
            "/?" + urlencode({**{k: v for k, v in picked.items() if v}, "cursor": next_cursor})
            if next_cursor
            else ""
        )
        page = render(
            "dashboard.html.j2",
            key_name=found.name,
            picked=picked,
            error=error,
            conversations=rows,
            next_page=next_page,
            **view,
        )
        return HTMLResponse(page, headers=HEADERS)

    @app.get("/conversations/{conversation_id}", include_in_schema=False)
    def conversation_page_view(request: Request, conversation_id: str) -> Response:
        if signed_in(request) is None:
            return RedirectResponse("/", status_code=303)
        found = conversation(conversation_id[:100])
        if found is None:
            page = render("login.html.j2", message="No such conversation.")
            return HTMLResponse(page, status_code=404, headers=HEADERS)
        return HTMLResponse(render("conversation.html.j2", conversation=found), headers=HEADERS)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        body = (await request.body())[:4096].decode("utf-8", "replace")
        key = (parse_qs(body).get("api_key") or [""])[0].strip()
        found = verifier.verify(key) if key else None
        if found is None:
            page = render("login.html.j2", message="That key is not valid.")
            return HTMLResponse(page, status_code=401, headers=HEADERS)
        request.state.key_id = found.key_id
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE_NAME,
            key,
            max_age=COOKIE_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=settings.api_cookie_secure,
            path="/",
        )
        return response

    @app.post("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/static/dashboard.css", include_in_schema=False)
    def stylesheet() -> Response:
        return FileResponse(
            STATIC / "dashboard.css",
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600"},
        )
