"""NocoDB v2 data API client and the `NocoDBResource` source of Dify conversations and messages.

Teams mirror Dify's `conversations` and `messages` tables into NocoDB; this module reads them
back as wire-schema Polars frames (`schemas.CONVERSATIONS_WIRE_SCHEMA` / `MESSAGES_WIRE_SCHEMA`).

What the system this replaces got wrong, and what this client does instead
(reference/seed-domain.md, section 2):

* It paged on `pageInfo.hasNextPage`, which NocoDB does not send, so only page 1 was read.
  Here paging follows `pageInfo.totalRows` / `isLastPage` with `offset`, and the result is
  checked against `totalRows`.
* It sent the API token as `xc-auth` (that header is for user sessions); API tokens go in
  `xc-token`. The token is never logged or put into an error message.
* It used `gte`; NocoDB's comparison operators are `ge`/`lt`. The window filter is
  `(created_at,ge,exactDate,<start>)~and(created_at,lt,exactDate,<end>)` with second
  precision (measured on 0.301.3: `ge`/`lt` are exact to the second at the boundaries; `gt`
  behaves like `ge` and `le` like `lt` on SQLite, so they are not used).

Pages are fetched by offset with a stable server-side sort on NocoDB's own `Id`, a bounded
number at a time, and put back together in offset order, so concurrency cannot reorder or
duplicate rows. Every page becomes a Polars frame with the explicit schema as it arrives;
the result is ordered by (`created_at`, `id`) as the `SourceResource` contract asks.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import polars as pl
import requests
from dagster import EnvVar, get_dagster_logger
from pydantic import Field, PrivateAttr
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState

from analytics_assets.http_retry import (
    next_wait,
    parse_retry_after,
    retrying,
    wait_backoff_or_retry_after,
)
from analytics_assets.schemas import (
    CONVERSATION_TIMESTAMPS,
    CONVERSATIONS_WIRE_SCHEMA,
    MESSAGE_TIMESTAMPS,
    MESSAGES_WIRE_SCHEMA,
)
from analytics_assets.settings import Settings, get_settings
from analytics_assets.sources.base import SourceResource

#: NocoDB never returns more than this many rows per page, whatever `limit` asks for.
SERVER_MAX_PAGE_SIZE = 1000
#: NocoDB rejects bulk inserts above 100 records (`ERR_MAX_PAYLOAD_LIMIT_EXCEEDED`).
SERVER_MAX_INSERT = 100
#: NocoDB's own columns: row id (auto-increment), creation and last-edit times (UTC).
NOCODB_ID, NOCODB_CREATED, NOCODB_UPDATED = "Id", "CreatedAt", "UpdatedAt"
#: Status codes below 500 worth retrying (rate limit, timeouts); every 5xx is retried too.
RETRY_STATUSES = frozenset({408, 425, 429})

TABLE_ID_PATTERN = re.compile(r"m[a-z0-9]{14}")
WIRE_TS_FORMAT = "%Y-%m-%d %H:%M:%S+00:00"
NOCODB_FILTER_TS_FORMAT = "%Y-%m-%d %H:%M:%S"

TableKind = Literal["conversations", "messages"]
TABLE_KINDS: tuple[TableKind, ...] = ("conversations", "messages")
NOCODB_SYSTEM_SCHEMA = {
    NOCODB_ID: pl.Int64(),
    NOCODB_CREATED: pl.String(),
    NOCODB_UPDATED: pl.String(),
}

# Dify's JSON columns; NocoDB hands them back as JSON text (SQLite) or as objects (PostgreSQL).
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": ("override_model_configs", "inputs"),
    "messages": ("override_model_configs", "inputs", "message", "message_metadata"),
}
WIRE_SCHEMAS: dict[str, pl.Schema] = {
    "conversations": CONVERSATIONS_WIRE_SCHEMA,
    "messages": MESSAGES_WIRE_SCHEMA,
}
TIMESTAMP_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": CONVERSATION_TIMESTAMPS,
    "messages": MESSAGE_TIMESTAMPS,
}
# Long free text gets `LongText`; everything else that is a string is `SingleLineText`.
LONG_TEXT_COLUMNS = frozenset(
    {"summary", "introduction", "system_instruction", "query", "answer", "error", "name"}
)


class NocoDBError(RuntimeError):
    """NocoDB could not be used: a request failed for good, or the answer made no sense."""


class NocoDBRequestError(NocoDBError):
    """NocoDB refused a request (4xx), or kept failing after every retry.

    The message carries the status, the method and URL (the token travels in a header and is
    never part of it) and an excerpt of the response body, which is what one needs to fix a
    wrong table id, filter or token.
    """

    def __init__(self, status: int | None, method: str, url: str, detail: str) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail
        code = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"NocoDB {method} {url} failed: {code}: {detail}")


# --------------------------------------------------------------------------------------------
# Table layout (used to create the mirror tables in tests, benchmarks and new deployments)
# --------------------------------------------------------------------------------------------


def dify_table_columns(kind: TableKind) -> list[dict[str, str]]:
    """NocoDB column definitions (`column_name`, `title`, `uidt`) mirroring a Dify table.

    Titles are Dify's column names, which is what the data API reads and writes. NocoDB
    renames the physical `column_name` of `id`/`created_at`/`updated_at` (they clash with its
    own system columns) but keeps the titles, so the API sees Dify's names unchanged.
    """
    json_cols = set(JSON_COLUMNS[kind])
    timestamps = set(TIMESTAMP_COLUMNS[kind])
    columns = []
    for name, dtype in WIRE_SCHEMAS[kind].items():
        if name in json_cols:
            uidt = "JSON"
        elif name in timestamps:
            uidt = "DateTime"
        elif dtype == pl.Int64():
            uidt = "Number"
        elif dtype == pl.Float64():
            uidt = "Decimal"
        elif dtype == pl.Boolean():
            uidt = "Checkbox"
        elif name in LONG_TEXT_COLUMNS:
            uidt = "LongText"
        else:
            uidt = "SingleLineText"
        columns.append({"column_name": name, "title": name, "uidt": uidt})
    return columns


# --------------------------------------------------------------------------------------------
# Normalisation: NocoDB page -> wire-schema frame (pure)
# --------------------------------------------------------------------------------------------


def _normalise_timestamp(column: str) -> pl.Expr:
    """Any timestamp form NocoDB writes -> Dify's `YYYY-MM-DD HH:MM:SS+00:00` in UTC.

    NocoDB answers with `2026-11-05 10:20:30+00:00` on SQLite, ISO `...T...Z` elsewhere, and
    converts other offsets to UTC on write. A value none of the forms parses is kept as it
    came, so `ingestion.normalize` records it as a malformed row instead of it turning null.
    """
    raw = pl.col(column)
    parsed = pl.coalesce(
        raw.str.to_datetime("%Y-%m-%d %H:%M:%S%#z", strict=False, time_zone="UTC"),
        raw.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_zone="UTC"),
        raw.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%#z", strict=False, time_zone="UTC"),
        raw.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_zone="UTC"),
    )
    return pl.when(parsed.is_not_null()).then(parsed.dt.strftime(WIRE_TS_FORMAT)).otherwise(raw)


def _json_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def records_to_frame(
    records: Sequence[Mapping[str, Any]],
    schema: pl.Schema,
    json_columns: Sequence[str] = (),
    timestamp_columns: Sequence[str] = (),
) -> pl.DataFrame:
    """One page of NocoDB records -> a frame with exactly `schema`, built column by column.

    JSON columns that NocoDB returned as objects become JSON text; Checkbox values (1/0 on
    SQLite, true/false on PostgreSQL) become booleans; timestamps become Dify's text form.
    Construction is strict: a value of the wrong type means the NocoDB table is not laid out
    as Dify's, which is an error to fix, not rows to drop silently.
    """
    columns: list[pl.Series] = []
    for name, dtype in schema.items():
        values = [record.get(name) for record in records]
        if name in json_columns:
            values = [_json_text(v) for v in values]
        try:
            if dtype == pl.Boolean():
                series = pl.Series(name, values, strict=True).cast(pl.Boolean, strict=True)
            else:
                series = pl.Series(name, values, dtype=dtype, strict=True)
        except (TypeError, pl.exceptions.PolarsError) as exc:
            raise NocoDBError(
                f"NocoDB returned values in column {name!r} that are not {dtype}: "
                f"{str(exc).splitlines()[0]}. Check the table's column types (docs/nocodb.md)."
            ) from exc
        columns.append(series)
    frame = pl.DataFrame(columns, schema=schema)
    stamps = [c for c in timestamp_columns if c in schema]
    if stamps:
        frame = frame.with_columns(_normalise_timestamp(c).alias(c) for c in stamps)
    return frame


def order_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The `SourceResource` order: `created_at`, then `id` (nulls last, deterministic)."""
    return frame.sort(["created_at", "id"], nulls_last=True, maintain_order=True)


def _filter_ts(moment: datetime) -> str:
    """A window bound as NocoDB's `exactDate` filter value: UTC, whole seconds, rounded up.

    Dify timestamps have whole seconds, so rounding a fractional bound up keeps the half-open
    window `[start, end)` exact: a row at 10:20:30 is before a bound of 10:20:30.5.
    """
    if moment.tzinfo is None:
        raise ValueError(f"window bounds must be timezone-aware UTC datetimes, got {moment!r}")
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.strftime(NOCODB_FILTER_TS_FORMAT)


def created_window_filter(start: datetime, end: datetime, column: str = "created_at") -> str:
    """The server-side filter for `start <= created_at < end`."""
    return (
        f"({column},ge,exactDate,{_filter_ts(start)})~and({column},lt,exactDate,{_filter_ts(end)})"
    )


# --------------------------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """New and edited rows of one table since a sensor cursor (`Id`, `UpdatedAt`, `created_at`).

    A truncated read stopped at the row limit of one tick; the caller advances its cursor
    only past the rows it got.
    """

    new_rows: pl.DataFrame
    edited_rows: pl.DataFrame
    new_truncated: bool
    edited_truncated: bool


@dataclass(frozen=True)
class Page:
    """One page of records and NocoDB's `pageInfo` for it."""

    offset: int
    records: list[dict[str, Any]]
    total_rows: int
    page_size: int
    is_last_page: bool


class _Transient(Exception):
    """A failure worth another try (connection, timeout, 429/5xx, a body that is not JSON)."""

    def __init__(self, problem: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(problem)
        self.problem, self.status, self.retry_after = problem, status, retry_after


class NocoDBClient:
    """A small NocoDB v2 client: one pooled `requests.Session`, retries, clear errors.

    Retries (up to `max_retries` after the first try) cover connection errors, timeouts,
    responses cut off mid-body, 429 (waiting what `Retry-After` says, capped by
    `retry_after_max_s`) and 5xx; the wait otherwise grows exponentially from
    `backoff_base_s` up to `backoff_max_s`, with full jitter so concurrent fetchers do not
    retry in lockstep. Any other 4xx raises `NocoDBRequestError` at once.
    """

    def __init__(
        self,
        url: str,
        api_token: str,
        *,
        timeout_s: float = 30.0,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        retry_after_max_s: float = 120.0,
        pool_size: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url:
            raise ValueError("NocoDB URL is empty: set NOCODB_URL (e.g. http://127.0.0.1:8080)")
        if not api_token:
            raise ValueError("NocoDB API token is empty: set NOCODB_API_TOKEN")
        self.base_url = url.rstrip("/")
        self._token = api_token
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.retry_after_max_s = retry_after_max_s
        self._sleep = sleep
        self._log = get_dagster_logger("nocodb")
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"xc-token": api_token, "Accept": "application/json"})
        self._lock = threading.Lock()
        self.retries_done = 0  # how many retries this client made (tests and benchmarks read it)

    def __repr__(self) -> str:  # never show the token
        return f"NocoDBClient(url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # -- plumbing ------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one API request with retries; return the decoded JSON answer."""
        url = f"{self.base_url}{path}"
        shown = self._scrub(requests.Request(method, url, params=params).prepare().url or url)

        def attempt() -> Any:
            try:
                response = self.session.request(
                    method, url, params=params, json=body, timeout=self.timeout_s
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                # Refused or dropped connections, connect/read timeouts, and bodies cut off
                # mid-way (ChunkedEncodingError, raised while reading an incomplete body).
                raise _Transient(f"{type(exc).__name__}: {self._scrub(str(exc))[:300]}") from exc
            status = response.status_code
            if status < 400:
                try:
                    return response.json()
                except ValueError:
                    # A 2xx with a body that is not JSON: a proxy or a cut-off answer.
                    raise _Transient(
                        f"HTTP {status} with a body that is not JSON", status
                    ) from None
            if status >= 500 or status in RETRY_STATUSES:
                retry_after = None
                if status == 429:
                    asked = parse_retry_after(response.headers.get("Retry-After"))
                    retry_after = None if asked is None else min(asked, self.retry_after_max_s)
                problem = f"HTTP {status}: {self._scrub(response.text[:300])}"
                raise _Transient(problem, status, retry_after)
            raise NocoDBRequestError(
                status, method, shown, self._scrub(response.text[:500]) or "(empty body)"
            )

        def on_retry(state: RetryCallState) -> None:
            with self._lock:
                self.retries_done += 1
            problem = getattr(state.outcome.exception() if state.outcome else None, "problem", "")
            self._log.warning(
                f"NocoDB {method} {shown}: {problem}; retry {state.attempt_number}/"
                f"{self.max_retries} in {next_wait(state):.2f}s"
            )

        policy = retrying(
            tries=self.max_retries + 1,
            transient=_Transient,
            wait=wait_backoff_or_retry_after(self.backoff_base_s, self.backoff_max_s, (0.0, 1.0)),
            sleep=self._sleep,
            on_retry=on_retry,
        )
        try:
            return policy(attempt)
        except _Transient as exc:
            raise NocoDBRequestError(
                exc.status,
                method,
                shown,
                f"gave up after {self.max_retries + 1} tries; last: {exc.problem}",
            ) from None

    # -- meta API ------------------------------------------------------------------------

    def list_bases(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/api/v2/meta/bases").get("list", []))

    def list_tables(self, base_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/api/v2/meta/bases/{base_id}/tables").get("list", []))

    def resolve_table_id(self, base: str, table: str) -> str:
        """A table id from a base (title or id) and a table (title, table name or id).

        A value shaped like a NocoDB table id (`m` + 14 characters) is checked with one meta
        call and returned as it is.
        """
        if TABLE_ID_PATTERN.fullmatch(table):
            try:
                meta = self.request("GET", f"/api/v2/meta/tables/{table}")
                if isinstance(meta, dict) and meta.get("id") == table:
                    return table
            except NocoDBRequestError as exc:
                if exc.status not in (400, 404, 422):
                    raise
        bases = self.list_bases()
        matches = [b for b in bases if base in (b.get("id"), b.get("title"))]
        if not matches:
            titles = sorted(str(b.get("title")) for b in bases)
            raise NocoDBError(
                f"NocoDB base {base!r} not found; bases visible to the token: {titles}"
            )
        tables = self.list_tables(str(matches[0]["id"]))
        for candidate in tables:
            names = {candidate.get("id"), candidate.get("title"), candidate.get("table_name")}
            if table in names:
                return str(candidate["id"])
        titles = sorted(str(t.get("title")) for t in tables)
        raise NocoDBError(f"NocoDB table {table!r} not found in base {base!r}; tables: {titles}")

    def column_titles(self, table_id: str) -> list[str] | None:
        """The titles of a table's columns (the keys records carry), or None when the server's
        table meta does not list them."""
        meta = self.request("GET", f"/api/v2/meta/tables/{table_id}")
        columns = meta.get("columns") if isinstance(meta, dict) else None
        if not isinstance(columns, list):
            return None
        return [str(c.get("title")) for c in columns if isinstance(c, dict)]

    def create_base(self, title: str) -> str:
        return str(self.request("POST", "/api/v2/meta/bases", body={"title": title})["id"])

    def create_table(self, base_id: str, title: str, columns: list[dict[str, str]]) -> str:
        body = {"title": title, "table_name": title, "columns": columns}
        return str(self.request("POST", f"/api/v2/meta/bases/{base_id}/tables", body=body)["id"])

    # -- data API ------------------------------------------------------------------------

    def insert_records(self, table_id: str, records: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert records, 100 per request (NocoDB's limit); returns the new `Id`s in order.

        Inserts are not retried blindly by callers that need exactly-once: a retried insert
        whose first try reached the server adds the rows twice. Tests and the benchmark load
        fresh tables and check the counts afterwards.
        """
        ids: list[int] = []
        for start in range(0, len(records), SERVER_MAX_INSERT):
            chunk = list(records[start : start + SERVER_MAX_INSERT])
            answer = self.request("POST", f"/api/v2/tables/{table_id}/records", body=chunk)
            ids.extend(int(row[NOCODB_ID]) for row in answer)
        return ids

    def update_records(self, table_id: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Patch records by their NocoDB `Id` (each record carries `Id` and the new values)."""
        for start in range(0, len(records), SERVER_MAX_INSERT):
            chunk = list(records[start : start + SERVER_MAX_INSERT])
            self.request("PATCH", f"/api/v2/tables/{table_id}/records", body=chunk)

    def count(self, table_id: str, where: str | None = None) -> int:
        params = {"where": where} if where else None
        return int(
            self.request("GET", f"/api/v2/tables/{table_id}/records/count", params=params)["count"]
        )

    def get_page(
        self,
        table_id: str,
        *,
        offset: int,
        limit: int,
        where: str | None = None,
        sort: str | None = NOCODB_ID,
        fields: Sequence[str] | None = None,
    ) -> Page:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if where:
            params["where"] = where
        if sort:
            params["sort"] = sort
        if fields:
            params["fields"] = ",".join(fields)
        answer = self.request("GET", f"/api/v2/tables/{table_id}/records", params=params)
        try:
            info = answer["pageInfo"]
            records = list(answer["list"])
            return Page(
                offset=offset,
                records=records,
                total_rows=int(info.get("totalRows", len(records))),
                page_size=int(info.get("pageSize") or limit),
                is_last_page=bool(info.get("isLastPage", True)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NocoDBError(
                f"NocoDB answered GET /api/v2/tables/{table_id}/records without list/pageInfo"
            ) from exc

    def iter_pages(
        self,
        table_id: str,
        *,
        where: str | None = None,
        sort: str | None = NOCODB_ID,
        fields: Sequence[str] | None = None,
        page_size: int = SERVER_MAX_PAGE_SIZE,
        max_concurrency: int = 4,
        max_rows: int | None = None,
    ) -> Iterator[Page]:
        """Every page of a query, in offset order, fetching up to `max_concurrency` at a time.

        The first page tells `totalRows` and how many rows the server really returns per page
        (it caps `limit` at 1000; hosted plans may cap lower). The remaining offsets are then
        fetched concurrently in bounded batches and yielded in offset order. If rows were
        added while reading (the last page is full and not `isLastPage`), reading goes on.
        `sort` must be a unique, stable key (default NocoDB's `Id`) so offsets do not shift.
        With `max_rows`, reading stops after about that many rows (whole pages).
        """
        limit = max(1, min(page_size, SERVER_MAX_PAGE_SIZE))

        def fetch(offset: int) -> Page:
            return self.get_page(
                table_id, offset=offset, limit=limit, where=where, sort=sort, fields=fields
            )

        first = fetch(0)
        yield first
        if first.is_last_page or not first.records:
            return
        step = len(first.records)
        target = first.total_rows if max_rows is None else min(first.total_rows, max_rows)
        seen, latest_total, next_offset = step, first.total_rows, step
        workers = max(1, max_concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nocodb-page") as pool:
            while next_offset < target:
                batch = list(range(next_offset, target, step))[: workers * 4]
                last = first
                for page in pool.map(fetch, batch):  # map yields in submission (offset) order
                    seen += len(page.records)
                    latest_total, last = page.total_rows, page
                    yield page
                next_offset = batch[-1] + step
                grew = not last.is_last_page and len(last.records) == step
                if max_rows is None and next_offset >= target and grew:
                    target = max(last.total_rows, next_offset + 1)
        if max_rows is None and seen < latest_total:
            raise NocoDBError(
                f"NocoDB table {table_id}: read {seen} rows but pageInfo.totalRows says "
                f"{latest_total} (rows deleted while reading?); run the read again"
            )


# --------------------------------------------------------------------------------------------
# The Dagster resource
# --------------------------------------------------------------------------------------------

_CLIENTS: dict[tuple[Any, ...], NocoDBClient] = {}
_CLIENTS_LOCK = threading.Lock()


class NocoDBResource(SourceResource):
    """Dify `conversations` / `messages` mirrored in NocoDB, read through the v2 data API.

    Built by `resources/registry.py` when `ANALYTICS_SOURCE=nocodb`, with the secrets as
    `EnvVar`s (`NOCODB_URL`, `NOCODB_API_TOKEN`); the other fields have environment keys too
    (docs/nocodb.md). Tables are named by base + table title (resolved once through the meta
    API) or given directly as table ids.
    """

    url: str = Field(description="NocoDB base URL, e.g. https://nocodb.example.com (NOCODB_URL)")
    api_token: str = Field(description="NocoDB API token, sent as `xc-token` (NOCODB_API_TOKEN)")
    base: str = Field(default="dify", description="Base title or id (NOCODB_BASE)")
    conversations_table: str = Field(
        default="conversations",
        description="Conversations table title, name or id (NOCODB_CONVERSATIONS_TABLE)",
    )
    messages_table: str = Field(
        default="messages",
        description="Messages table: title, table name or table id (NOCODB_MESSAGES_TABLE)",
    )
    page_size: int = Field(
        default=SERVER_MAX_PAGE_SIZE, description="Rows per page; the server caps it at 1000"
    )
    max_concurrency: int = Field(default=4, description="Pages fetched at the same time")
    timeout_s: float = Field(default=30.0, description="Timeout of one HTTP request, seconds")
    max_retries: int = Field(default=5, description="Retries after the first try of a request")
    backoff_base_s: float = Field(default=0.5, description="First retry waits up to this long")
    backoff_max_s: float = Field(default=30.0, description="Longest wait between retries")

    _table_ids: dict[str, str] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> NocoDBResource:
        """The resource as configured by the `NOCODB_*` environment keys (.env.example).

        URL and token stay `EnvVar`s: Dagster resolves them when a run starts and never
        shows the token in the UI or in run config.
        """
        s = settings or get_settings()
        return cls(
            url=EnvVar("NOCODB_URL"),
            api_token=EnvVar("NOCODB_API_TOKEN"),
            base=s.nocodb_base,
            conversations_table=s.nocodb_conversations_table,
            messages_table=s.nocodb_messages_table,
            page_size=s.nocodb_page_size,
            max_concurrency=s.nocodb_max_concurrency,
            timeout_s=s.nocodb_timeout_s,
            max_retries=s.nocodb_max_retries,
        )

    def client(self) -> NocoDBClient:
        """The pooled client for this configuration (one `requests.Session` per process)."""
        key = (
            self.url,
            self.api_token,
            self.timeout_s,
            self.max_retries,
            self.backoff_base_s,
            self.backoff_max_s,
            self.max_concurrency,
        )
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = NocoDBClient(
                    self.url,
                    self.api_token,
                    timeout_s=self.timeout_s,
                    max_retries=self.max_retries,
                    backoff_base_s=self.backoff_base_s,
                    backoff_max_s=self.backoff_max_s,
                    pool_size=max(2, self.max_concurrency),
                )
                _CLIENTS[key] = client
            return client

    def table_id(self, kind: TableKind) -> str:
        """The NocoDB table id behind `conversations` or `messages` (resolved once)."""
        if kind not in self._table_ids:
            table = self.conversations_table if kind == "conversations" else self.messages_table
            table_id = self.client().resolve_table_id(self.base, table)
            self._check_columns(kind, table, table_id)
            self._table_ids[kind] = table_id
        return self._table_ids[kind]

    def _check_columns(self, kind: TableKind, table: str, table_id: str) -> None:
        """A renamed or removed Dify column is an error naming it, checked once per table.

        Records leave out columns a table does not have, so without this check a renamed
        `query` would read as empty queries with nothing recorded. New columns are ignored
        (only the wire schema is read) and said so once.
        """
        titles = self.client().column_titles(table_id)
        if titles is None:
            return
        expected = WIRE_SCHEMAS[kind].names()
        missing = [c for c in expected if c not in titles]
        if missing:
            raise NocoDBError(
                f"NocoDB table {table!r} ({kind}) lacks the Dify columns {missing}: renamed or "
                f"removed? Its columns: {sorted(titles)}. Restore them (docs/nocodb.md)."
            )
        system = {NOCODB_ID, NOCODB_CREATED, NOCODB_UPDATED, "nc_order"}
        extra = sorted(set(titles) - set(expected) - system)
        if extra:
            get_dagster_logger("nocodb").info(f"NocoDB {kind}: columns not read: {extra}")

    def fetch_table(
        self, kind: TableKind, start: datetime, end: datetime, *, keep_nocodb_columns: bool = False
    ) -> pl.DataFrame:
        """Rows of one table with `start <= created_at < end`, filtered on the server.

        Pages become wire-schema frames as they arrive (never one big list of dicts). With
        `keep_nocodb_columns` the frame also has NocoDB's `Id`, `CreatedAt` and `UpdatedAt`
        first, which the wire schema leaves out.
        """
        wire = WIRE_SCHEMAS[kind]
        schema = pl.Schema({**NOCODB_SYSTEM_SCHEMA, **wire})
        stamps = (*TIMESTAMP_COLUMNS[kind], NOCODB_CREATED, NOCODB_UPDATED)
        pages = self.client().iter_pages(
            self.table_id(kind),
            where=created_window_filter(start, end),
            sort=NOCODB_ID,
            fields=schema.names(),
            page_size=self.page_size,
            max_concurrency=self.max_concurrency,
        )
        frames = [
            records_to_frame(page.records, schema, JSON_COLUMNS[kind], stamps) for page in pages
        ]
        frame = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)
        duplicates = frame.height - frame.get_column(NOCODB_ID).n_unique()
        if duplicates:
            # Only possible when rows move between pages while reading; keep the first copy.
            get_dagster_logger("nocodb").warning(
                f"NocoDB {kind}: {duplicates} rows came twice while paging; kept one of each"
            )
            frame = frame.unique(subset=[NOCODB_ID], keep="first", maintain_order=True)
        frame = order_rows(frame)
        return frame if keep_nocodb_columns else frame.select(wire.names())

    def fetch_conversations(self, start: datetime, end: datetime) -> pl.DataFrame:
        return self.fetch_table("conversations", start, end)

    def fetch_messages(self, start: datetime, end: datetime) -> pl.DataFrame:
        return self.fetch_table("messages", start, end)

    def fetch_changes(
        self,
        kind: TableKind,
        *,
        after_id: int,
        updated_since: str | None,
        exclude_ids_at_since: Sequence[int] = (),
        max_rows: int = 20_000,
    ) -> Changes:
        """What the sensor needs: new rows (`Id > after_id`) and edited rows.

        Edited rows are those with `Id <= after_id` whose `UpdatedAt` (NocoDB sets it on edits
        only) is at or after `updated_since` (the same second included, because NocoDB keeps
        whole seconds), minus `exclude_ids_at_since` seen at exactly that second before.
        Only `Id`, `UpdatedAt` and `created_at` are read.
        """
        table = self.table_id(kind)
        schema = pl.Schema(
            {NOCODB_ID: pl.Int64(), NOCODB_UPDATED: pl.String(), "created_at": pl.String()}
        )

        def read(where: str, sort: str) -> tuple[pl.DataFrame, bool]:
            frames: list[pl.DataFrame] = []
            total = 0
            for page in self.client().iter_pages(
                table,
                where=where,
                sort=sort,
                fields=schema.names(),
                page_size=self.page_size,
                max_concurrency=self.max_concurrency,
                max_rows=max_rows,
            ):
                total = max(total, page.total_rows)
                frames.append(
                    records_to_frame(page.records, schema, (), (NOCODB_UPDATED, "created_at"))
                )
            frame = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
            return frame.head(max_rows), total > max_rows

        new_rows, new_truncated = read(f"({NOCODB_ID},gt,{after_id})", NOCODB_ID)
        edited_where = f"({NOCODB_ID},le,{after_id})~and({NOCODB_UPDATED},notblank)"
        if updated_since:
            edited_where += f"~and({NOCODB_UPDATED},ge,exactDate,{updated_since[:19]})"
        edited, edited_truncated = read(edited_where, f"{NOCODB_UPDATED},{NOCODB_ID}")
        if updated_since and exclude_ids_at_since:
            seen = pl.Series(list(exclude_ids_at_since), dtype=pl.Int64)
            edited = edited.filter(
                ~((pl.col(NOCODB_UPDATED) == updated_since) & pl.col(NOCODB_ID).is_in(seen))
            )
        return Changes(new_rows, edited, new_truncated, edited_truncated)
