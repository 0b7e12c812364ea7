"""The FastAPI application: `/v1` JSON endpoints, the dashboard at `/`, OpenAPI at `/openapi.json`.

`create_app()` builds everything from the same settings as the pipeline (`ANALYTICS_LAKE`,
`MONGODB_URI` or the embedded server, `PSEUDONYM_KEY`) plus the `API_*` fields of
`settings.Settings`; the lake IO manager and MongoDB come from `resources.py`. Cross-cutting
rules live here:

* every response carries `X-Request-ID` (the client's, when it sent a sane one), and the one log
  line per request carries the same id, the key id (never the key), status and duration;
* errors are `{"error": {"code", "message", "request_id", ...}}`; a 422 lists the offending
  fields by name; an unexpected failure is logged with its traceback under the request id and
  answered with a generic 500 (no stack trace, path or credential in the body);
* unknown query parameters are rejected (422 naming them), so a misspelt filter never
  silently widens a query;
* CORS is off unless `API_CORS_ORIGINS` names origins.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from analytics_assets.api import dashboard
from analytics_assets.api.auth import AuthError, KeyVerifier
from analytics_assets.api.conversations import (
    SORTS,
    ConversationQuery,
    CursorError,
    list_page,
    plain,
    selected,
)
from analytics_assets.api.lake import Lake, PartitionCache, ResultCache, days_between
from analytics_assets.api.metrics import (
    DIMENSIONS,
    FILTERS,
    GRANULARITIES,
    MAX_DIMENSIONS,
    MEASURES,
    MetricsQuery,
    QueryError,
    parse_list,
    run_query,
)
from analytics_assets.api.store import Store
from analytics_assets.api.turns import conversation_turns
from analytics_assets.api.users import delete_user, export_user, user_profile
from analytics_assets.cli.report import parse_period
from analytics_assets.resources import build_io_manager
from analytics_assets.settings import Settings, get_settings
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.api_keys import ApiKey, ApiKeysRepository
from analytics_assets.storage.parquet import LakeIOManager

log = logging.getLogger("analytics_assets.api")

API_VERSION = "v1"
HEALTH_ASSETS = (
    "raw_messages",
    "raw_conversations",
    "categorized_messages",
    "translated_messages",
    "conversation_analytics",
    "user_analytics",
    "model_performance",
    "daily_report",
    "processing_errors",
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_USER_KEY = r"^[0-9a-f]{16}$"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _json(value: Any) -> bytes:
    """Compact JSON of an answer (NaN as null, like the encoder FastAPI would use)."""
    return json.dumps(plain(value), separators=(",", ":"), allow_nan=False).encode()


def _error(request: Request, status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body = {"error": {"code": code, "message": message, **extra}}
    body["error"]["request_id"] = getattr(request.state, "request_id", None)
    return JSONResponse(body, status_code=status)


# -- parameters -------------------------------------------------------------------------------


def _instant(name: str, value: str | None, default: datetime) -> datetime:
    """`YYYY-MM-DD` or an ISO datetime (a zone other than UTC is converted) → naive UTC."""
    if value is None or not value.strip():
        return default
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(name, f"{name} must be YYYY-MM-DD or an ISO 8601 datetime") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def time_range(start: str | None, end: str | None, settings: Settings) -> tuple[datetime, datetime]:
    """`[from, to)`; defaults: the last 7 days up to the end of today (UTC)."""
    today_end = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time())
    to = _instant("to", end, today_end)
    frm = _instant("from", start, to - timedelta(days=7))
    if frm >= to:
        raise QueryError("from", "from must be before to")
    if to - frm > timedelta(days=settings.api_max_range_days):
        raise QueryError(
            "to",
            f"the range may span at most {settings.api_max_range_days} days (API_MAX_RANGE_DAYS)",
        )
    return frm, to


def range_days(frm: datetime, to: datetime) -> list[str]:
    return days_between(frm.date(), (to - timedelta(microseconds=1)).date())


def _values(name: str, raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    items = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    if len(items) > 50:
        raise QueryError(name, f"at most 50 values for {name}")
    if any(len(v) > 200 for v in items):
        raise QueryError(name, f"values of {name} are at most 200 characters")
    return items


FilterParam = Annotated[
    str | None, Query(max_length=4000, description="Comma-separated values (any of them).")
]


def row_filters(
    app_: Annotated[FilterParam, Query(alias="app")] = None,
    model: FilterParam = None,
    language: FilterParam = None,
    topic: FilterParam = None,
    intent: FilterParam = None,
    sentiment: FilterParam = None,
    user_key: FilterParam = None,
    has_error: bool | None = None,
) -> tuple[dict[str, tuple[str, ...]], bool | None]:
    """The row filters the conversation list and the metrics share: the named filters with
    their values (empty ones left out), and `has_error`."""
    named = {
        "app": app_,
        "model": model,
        "language": language,
        "topic": topic,
        "intent": intent,
        "sentiment": sentiment,
        "user_key": user_key,
    }
    return {k: values for k, raw in named.items() if (values := _values(k, raw))}, has_error


Filtered = Annotated[tuple[dict[str, tuple[str, ...]], bool | None], Depends(row_filters)]


def _query_names(dependant: Any) -> set[str]:
    """Query parameter names an endpoint declares, its dependencies included."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


# -- the app ----------------------------------------------------------------------------------


def create_app(
    io: LakeIOManager | None = None,
    mongo: MongoResource | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    io = io or build_io_manager(settings)
    # The URI's value itself: outside a Dagster run an EnvVar field is not resolved.
    mongo = mongo or MongoResource.from_settings(outside_dagster=True)
    lake = Lake(io)
    store = Store(lake, mongo, PartitionCache(settings.api_cache_max_rows), settings.pseudonym_key)
    results = ResultCache(max_entries=256, max_rows=settings.api_cache_max_rows)
    ApiKeysRepository(mongo.db()).ensure_indexes()
    verifier = KeyVerifier(lambda: ApiKeysRepository(mongo.db()))

    async def reject_unknown_params(request: Request) -> None:
        route = request.scope.get("route")
        dependant = getattr(route, "dependant", None)
        if dependant is None or not getattr(route, "path", "").startswith("/v1/"):
            return  # the dashboard's pages read their own parameters
        allowed = _query_names(dependant)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ApiError(
                422,
                "unknown_parameter",
                f"unknown query parameter(s): {', '.join(unknown)}",
                fields=[
                    {"field": u, "message": "not a parameter of this endpoint"} for u in unknown
                ],
            )

    app = FastAPI(
        title="analytics-assets API",
        version="1.0.0",
        description="Conversation analytics of the lake and MongoDB (docs/api.md).",
        dependencies=[Depends(reject_unknown_params)],
    )
    app.state.store = store
    app.state.lake = lake
    app.state.verifier = verifier

    if settings.api_cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api_cors_origins),
            allow_methods=["GET", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.state.request_id = rid
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception:  # noqa: BLE001 - logged with the id, answered without details
            log.exception("request_id=%s %s %s failed", rid, request.method, request.url.path)
            response = _error(
                request,
                500,
                "internal_error",
                "internal error; see the server log under this request id",
            )
        response.headers["X-Request-ID"] = rid
        log.info(
            "request_id=%s method=%s path=%s status=%s ms=%.1f key_id=%s",
            rid,
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            getattr(request.state, "key_id", "-"),
        )
        return response

    @app.exception_handler(AuthError)
    async def _auth_error(request: Request, exc: AuthError):
        response = _error(request, exc.status, exc.code, exc.message)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return _error(request, exc.status, exc.code, exc.message, **exc.extra)

    @app.exception_handler(QueryError)
    async def _query_error(request: Request, exc: QueryError):
        return _error(
            request,
            422,
            "invalid_parameter",
            str(exc),
            fields=[{"field": exc.field, "message": str(exc)}],
        )

    @app.exception_handler(CursorError)
    async def _cursor_error(request: Request, exc: CursorError):
        return _error(
            request,
            422,
            "invalid_parameter",
            str(exc),
            fields=[{"field": "cursor", "message": str(exc)}],
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")]
            fields.append({"field": ".".join(loc) or "request", "message": err.get("msg", "")})
        names = ", ".join(f["field"] for f in fields)
        return _error(
            request, 422, "invalid_parameter", f"invalid parameter(s): {names}", fields=fields
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed"}
        return _error(
            request, exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        rid = getattr(request.state, "request_id", "-")
        log.error("request_id=%s unhandled error", rid, exc_info=exc)
        return _error(
            request,
            500,
            "internal_error",
            "internal error; see the server log under this request id",
        )

    # -- the queries behind the endpoints and the dashboard (one implementation each) ------

    def metrics_query(query: MetricsQuery) -> tuple[list[dict[str, Any]], list[str], tuple]:
        """Rows of a metrics query, the days read and their identity; cached on it."""
        facts, days, identity = store.facts(range_days(query.start, query.end))
        data = results.get(
            ("metrics", repr(query), identity),
            lambda: run_query(lake.connection(), facts(), query),
        )
        return data, days, identity

    def conversation_page(
        query: ConversationQuery, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None, list[str]]:
        """One page of conversations, the next cursor and the days read."""
        rows, days, identity = store.conversations(range_days(query.start, query.end))
        ordered = results.get(
            ("conversations", query.digest(), identity), lambda: selected(rows(), query)
        )
        items, next_cursor = list_page(ordered, query, cursor)
        return items, next_cursor, days

    def one_conversation(conversation_id: str) -> dict[str, Any] | None:
        found = conversation_turns(lake, mongo, conversation_id)
        if found is None or found.get("user_key") in store.deleted():
            return None
        return plain(found)

    def read_key(request: Request) -> ApiKey:
        return verifier.require(request, "read")

    def admin_key(request: Request) -> ApiKey:
        return verifier.require(request, "admin")

    Read = Annotated[ApiKey, Depends(read_key)]
    Admin = Annotated[ApiKey, Depends(admin_key)]

    # -- health --------------------------------------------------------------------------

    @app.get("/v1/health", tags=["health"])
    def health() -> JSONResponse:
        """Lake and MongoDB reachable; newest stored partition per asset. No key needed."""
        out: dict[str, Any] = {"status": "ok", "lake": {}, "mongodb": {}}
        try:
            newest = {}
            for asset in HEALTH_ASSETS:
                parts = lake.partitions(asset)
                newest[asset] = max(parts) if parts else None
            out["lake"] = {"reachable": True, "newest_partition": newest}
        except Exception as exc:  # noqa: BLE001
            log.warning("health: lake unreachable: %s", type(exc).__name__)
            out["lake"] = {"reachable": False}
            out["status"] = "degraded"
        try:
            mongo.ping()
            out["mongodb"] = {"reachable": True}
        except Exception as exc:  # noqa: BLE001
            log.warning("health: MongoDB unreachable: %s", type(exc).__name__)
            out["mongodb"] = {"reachable": False}
            out["status"] = "degraded"
        out["cache"] = {"partitions": store.cache.stats(), "results": results.stats()}
        return JSONResponse(out, status_code=200 if out["status"] == "ok" else 503)

    # -- conversations -------------------------------------------------------------------

    @app.get("/v1/conversations", tags=["conversations"])
    def conversations(
        _key: Read,
        filtered: Filtered,
        from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
        to: Annotated[str | None, Query(max_length=40)] = None,
        sort: Annotated[str, Query(pattern=r"^-?[a-z_]+$", max_length=40)] = "-first_message_at",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
    ) -> dict[str, Any]:
        """Conversations active in `[from, to)` (one row per conversation and UTC day), filtered,
        sorted (`-` = descending), keyset-paginated: pass `next_cursor` back as `cursor`."""
        frm, end = time_range(from_, to, settings)
        name = sort.lstrip("-")
        if name not in SORTS:
            raise QueryError(
                "sort", f"sort must be one of {', '.join(SORTS)} (prefix - for descending)"
            )
        filters, has_error = filtered
        query = ConversationQuery(
            start=frm,
            end=end,
            sort=name,
            descending=sort.startswith("-"),
            limit=limit,
            filters=filters,
            has_error=has_error,
        )
        items, next_cursor, days = conversation_page(query, cursor)
        body = {"data": items, "next_cursor": next_cursor, "count": len(items), "partitions": days}
        return Response(_json(body), media_type="application/json")

    @app.get("/v1/conversations/{conversation_id}", tags=["conversations"])
    def conversation(
        _key: Read,
        conversation_id: Annotated[
            str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
        ],
    ) -> dict[str, Any]:
        """One conversation's turns with labels, translation, latency, tokens, cost, error."""
        found = one_conversation(conversation_id)
        if found is None:
            raise ApiError(404, "not_found", "no such conversation")
        return found

    # -- metrics -------------------------------------------------------------------------

    @app.get("/v1/metrics", tags=["metrics"])
    def metrics(
        _key: Read,
        filtered: Filtered,
        measures: Annotated[
            str, Query(max_length=400, description=", ".join(MEASURES))
        ] = "messages",
        dimensions: Annotated[
            str | None, Query(max_length=200, description=", ".join(DIMENSIONS))
        ] = None,
        granularity: Annotated[str, Query(pattern="^(none|hour|day|week|month)$")] = "none",
        from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
        to: Annotated[str | None, Query(max_length=40)] = None,
    ) -> dict[str, Any]:
        """Measures by dimensions and period over `[from, to)`, from row-level message facts."""
        frm, end = time_range(from_, to, settings)
        chosen = parse_list("measures", measures, list(MEASURES), len(MEASURES))
        if not chosen:
            raise QueryError("measures", "name at least one measure")
        dims = parse_list("dimensions", dimensions, list(DIMENSIONS), MAX_DIMENSIONS)
        if granularity not in GRANULARITIES:
            raise QueryError("granularity", f"granularity must be one of {GRANULARITIES}")
        filters, has_error = filtered
        assert set(filters) <= set(FILTERS)
        query = MetricsQuery(
            measures=chosen,
            dimensions=dims,
            granularity=granularity,
            start=frm,
            end=end,
            filters=filters,
            has_error=has_error,
        )
        data, days, identity = metrics_query(query)
        answer = {
            "query": {
                "measures": list(chosen),
                "dimensions": list(dims),
                "granularity": granularity,
                "from": frm.isoformat() + "Z",
                "to": end.isoformat() + "Z",
                "filters": {k: list(v) for k, v in filters.items()},
                "has_error": has_error,
            },
            "data": data,
            "partitions": days,
        }
        # Serialized once per answer and kept with it: a repeated query skips the encoder.
        content = results.get(("metrics-json", repr(query), identity), lambda: _json(answer))
        return Response(content, media_type="application/json")

    # -- reports, users, errors ----------------------------------------------------------

    @app.get("/v1/reports/{period_type}/{key}", tags=["reports"])
    def report(
        _key: Read,
        period_type: Annotated[str, Path(pattern="^(daily|weekly|monthly)$")],
        key: Annotated[str, Path(max_length=20)],
    ) -> dict[str, Any]:
        """A stored report; `key` as the CLI takes it (YYYY-MM-DD, YYYY-Www, YYYY-MM)."""
        try:
            period = parse_period(period_type, key)
        except ValueError as exc:
            raise QueryError("key", str(exc)) from exc
        doc = mongo.reports().get_report(period_type, period.key)
        if doc is None:
            raise ApiError(
                404, "not_found", f"no {period_type} report for {period.key} (materialize it first)"
            )
        out = plain(doc)
        out.pop("html_path", None)  # a server path, not for clients
        return out

    @app.get("/v1/users/{user_key}", tags=["users"])
    def user(_key: Read, user_key: Annotated[str, Path(pattern=_USER_KEY)]) -> dict[str, Any]:
        """Sessions, retention, topics and sentiment over time of one pseudonymous user."""
        if user_key in store.deleted():
            raise ApiError(404, "not_found", "no such user")
        found = user_profile(mongo, user_key)
        if found is None:
            raise ApiError(404, "not_found", "no such user")
        return found

    @app.get("/v1/users/{user_key}/export", tags=["users"])
    def user_export(
        _key: Admin, user_key: Annotated[str, Path(pattern=_USER_KEY)]
    ) -> dict[str, Any]:
        """Everything derived about one pseudonymous user (admin key)."""
        found = export_user(lake, mongo, user_key)
        if found is None:
            raise ApiError(404, "not_found", "nothing is stored about this user")
        return found

    @app.delete("/v1/users/{user_key}", tags=["users"])
    def user_delete(
        key: Admin, user_key: Annotated[str, Path(pattern=_USER_KEY)]
    ) -> dict[str, Any]:
        """Remove the user from every derived asset and collection, and keep them out of
        every later run (admin key)."""
        result = delete_user(
            lake, mongo, user_key, requested_by=key.key_id, pseudonym_key=settings.pseudonym_key
        )
        store.forget_deleted()
        log.info("user deleted: removed=%s by key_id=%s", result["removed"], key.key_id)
        return result

    @app.get("/v1/errors", tags=["errors"])
    def errors(
        _key: Read,
        asset: Annotated[str | None, Query(max_length=100)] = None,
        stage: Annotated[str | None, Query(max_length=100)] = None,
        partition: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Open processing errors, newest first, with ids and reasons."""
        docs = mongo.errors().open_errors(
            asset=asset, stage=stage, partition=partition, limit=limit
        )
        data = []
        for d in docs:
            item = plain(d)
            item["id"] = "/".join(
                str(d.get(k, "")) for k in ("asset", "partition", "stage", "record_id")
            )
            data.append(item)
        return {"data": data, "count": len(data)}

    dashboard.mount(
        app,
        verifier,
        settings,
        query=lambda q: metrics_query(q)[0],
        conversation_page=lambda q, c: conversation_page(q, c)[:2],
        conversation=one_conversation,
    )
    return app
