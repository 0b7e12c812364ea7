"""The lake's IO manager: dagster-polars' `PolarsParquetIOManager` plus what the lake needs.

dagster-polars brings the UPath base (local folder or `s3://bucket/prefix`), the type-routed
loads (`pl.DataFrame` eager, `pl.LazyFrame` lazy, `X | None` optional, `dict[str, ...]` one
frame per partition), the `columns` input metadata for projection, the fsspec -> object_store
option mapping and the frame metadata. `LakeIOManager` adds only what it lacks:

* a Hive-style layout (`date=`/`week=`/`month=`) that people and DuckDB can query directly;
* outputs that span several partitions (single-run backfills) split by a partition column;
* atomic replacement of a partition (`atomic.py`: rename locally, one PUT on S3);
* one schema-checked lazy scan when a consumer reads several partitions as one frame, and a
  clear error naming the missing partitions.

Layout (`<asset>` is the asset key path joined by "/"):

* daily partitions:   `<base>/<asset>/date=YYYY-MM-DD/part-0.parquet`
* weekly partitions:  `<base>/<asset>/week=YYYY-MM-DD/part-0.parquet` (first day of the week)
* monthly partitions: `<base>/<asset>/month=YYYY-MM/part-0.parquet`
* other partitions:   `<base>/<asset>/partition=<key>/part-0.parquet` (multi-dimensional keys:
  `<dim>=<key>/...` per dimension)
* unpartitioned:      `<base>/<asset>.parquet`

Files are zstd-compressed with column statistics, in row groups of 131,072 rows
(docs/storage.md explains the choice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any
from urllib.parse import quote

import polars as pl
from dagster import (
    DagsterInvariantViolationError,
    InitResourceContext,
    InputContext,
    MetadataValue,
    MultiPartitionKey,
    OutputContext,
    PartitionsDefinition,
    TableColumn,
    TableSchema,
    TimeWindowPartitionsDefinition,
)
from dagster_polars import PolarsParquetIOManager
from dagster_polars.io_managers.type_routers import (
    DictTypeRouter,
    OptionalTypeRouter,
    TypeRouter,
    resolve_type_router,
)
from fsspec import AbstractFileSystem
from pydantic import Field, PrivateAttr
from upath import UPath

from analytics_assets.markdown import markdown_table
from analytics_assets.privacy import preview_safe
from analytics_assets.storage.atomic import (
    ParquetWriteOptions,
    WrittenFile,
    remove_siblings,
    write_parquet_atomic,
)
from analytics_assets.storage.partition_figures import add_partition_figures

PART_FILE = "part-0.parquet"
DEFAULT_PARTITION_EXPR = "created_at"
PREVIEW_ROWS = 10
# Above this many partitions one listing of the asset folder is cheaper than one HEAD each.
_LIST_INSTEAD_OF_HEAD = 16


class MissingPartitionsError(FileNotFoundError):
    """Upstream partitions an input needs are not in the lake."""


class PartitionSchemaMismatchError(ValueError):
    """Partitions of one input disagree on their schema, so they cannot form one frame."""


class PartitionColumnError(ValueError):
    """Rows of a multi-partition output cannot be assigned to one of the run's partitions."""


# ---------------------------------------------------------------------------------------------
# Layout (pure)
# ---------------------------------------------------------------------------------------------


def _safe(value: str) -> str:
    """A partition value as one path segment: no "/" and no traversal, readable otherwise."""
    return quote(value, safe="-_.:+@ ")


def partition_segment(partitions_def: PartitionsDefinition | None, key: str) -> str:
    """The folder name(s) of one partition: `date=`, `week=`, `month=` or `partition=`.

    Time partitions are recognised from their windows, not from the definition's class: after
    serialization every time partitioning is a plain `TimeWindowPartitionsDefinition`.
    """
    if isinstance(key, MultiPartitionKey):
        return "/".join(
            f"{_safe(dim)}={_safe(value)}" for dim, value in sorted(key.keys_by_dimension.items())
        )
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        window = partitions_def.time_window_for_partition_key(key)
        start, end = window.start, window.end
        same_clock = start.timetz() == end.timetz()
        days = (end.date() - start.date()).days
        if same_clock and days == 1:
            return f"date={start.date().isoformat()}"
        if same_clock and days == 7:
            return f"week={start.date().isoformat()}"
        months = (end.year - start.year) * 12 + end.month - start.month
        if same_clock and months == 1 and start.day == end.day == 1:
            return f"month={start.strftime('%Y-%m')}"
    return f"partition={_safe(str(key))}"


# ---------------------------------------------------------------------------------------------
# Splitting a range output by its partition column (pure)
# ---------------------------------------------------------------------------------------------


def _utc_datetime(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A Datetime/Date column as UTC-aware microsecond datetimes (naive values mean UTC)."""
    if isinstance(dtype, pl.Date):
        return expr.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype.time_zone is None:  # type: ignore[attr-defined]
        return expr.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return expr.dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC"))


def assign_partitions(
    df: pl.DataFrame,
    column: str,
    partitions_def: PartitionsDefinition | None,
    keys: Sequence[str],
) -> pl.Series:
    """Index into `keys` of every row's partition, from the values of `column`.

    * Datetime / Date column with time-window partitions: the window that contains the UTC
      instant (so a Datetime maps to its UTC day, week or month).
    * String column: the value must be one of `keys`.

    Raises `PartitionColumnError` naming the offending values when a row is null or falls
    outside the run's partitions: such rows would otherwise be silently dropped.
    """
    if column not in df.columns:
        raise PartitionColumnError(
            f"cannot split the output into partitions: column {column!r} is missing "
            f"(set the asset's `partition_expr` metadata to the partition column; "
            f"columns: {df.columns})"
        )
    dtype = df.schema[column]
    if isinstance(dtype, pl.Datetime | pl.Date):
        if not isinstance(partitions_def, TimeWindowPartitionsDefinition):
            raise PartitionColumnError(
                f"column {column!r} is temporal but the partitions are not time windows; "
                "use a string column holding partition keys"
            )
        windows = [partitions_def.time_window_for_partition_key(k) for k in keys]
        starts = pl.Series(
            [w.start.astimezone(UTC) for w in windows], dtype=pl.Datetime("us", "UTC")
        )
        ends = pl.Series([w.end.astimezone(UTC) for w in windows], dtype=pl.Datetime("us", "UTC"))
        ts = df.select(_utc_datetime(pl.col(column), dtype)).to_series()
        idx = starts.search_sorted(ts, side="right").cast(pl.Int64) - 1
        frame = pl.DataFrame({"ts": ts, "idx": idx})
        frame = frame.with_columns(
            end=pl.col("idx").clip(0, len(keys) - 1).map_batches(lambda s: ends.gather(s))
        )
        ok = pl.col("ts").is_not_null() & (pl.col("idx") >= 0) & (pl.col("ts") < pl.col("end"))
        bad = frame.filter(~ok)
        if bad.height:
            examples = bad.get_column("ts").head(3).to_list()
            raise PartitionColumnError(
                f"{bad.height} rows have {column} outside the partitions {keys[0]}..{keys[-1]} "
                f"of this run (or null), e.g. {examples}; refusing to drop them"
            )
        return frame.get_column("idx")
    if isinstance(dtype, pl.String | pl.Categorical | pl.Enum):
        lookup = pl.DataFrame(
            {"key": list(keys), "idx": range(len(keys))},
            schema={"key": pl.String, "idx": pl.Int64},
        )
        joined = df.select(pl.col(column).cast(pl.String).alias("key")).join(
            lookup, on="key", how="left", maintain_order="left"
        )
        bad = joined.filter(pl.col("idx").is_null())
        if bad.height:
            examples = bad.get_column("key").unique(maintain_order=True).head(3).to_list()
            raise PartitionColumnError(
                f"{bad.height} rows have {column} values that are not partitions "
                f"{keys[0]}..{keys[-1]} of this run, e.g. {examples}; refusing to drop them"
            )
        return joined.get_column("idx")
    raise PartitionColumnError(
        f"cannot split by column {column!r} of type {dtype}: use a Datetime, Date or string column"
    )


def split_by_partition(
    df: pl.DataFrame,
    column: str,
    partitions_def: PartitionsDefinition | None,
    keys: Sequence[str],
) -> dict[str, pl.DataFrame]:
    """One frame per key in `keys`, in order; a key without rows gets an empty frame with the
    full schema, so writing it replaces that partition whole."""
    idx = assign_partitions(df, column, partitions_def, keys)
    groups = df.with_columns(idx.alias("__partition_idx")).partition_by(
        "__partition_idx", as_dict=True, include_key=False, maintain_order=True
    )
    by_idx = {int(k[0]): v for k, v in groups.items()}
    return {key: by_idx.get(i, df.clear()) for i, key in enumerate(keys)}


# ---------------------------------------------------------------------------------------------
# Metadata helpers (pure)
# ---------------------------------------------------------------------------------------------


def table_schema(schema: Mapping[str, pl.DataType]) -> TableSchema:
    return TableSchema(columns=[TableColumn(name, str(dtype)) for name, dtype in schema.items()])


def markdown_preview(df: pl.DataFrame, rows: int = PREVIEW_ROWS, width: int = 60) -> str:
    """First rows as a Markdown table for the Dagster UI: one line per row (newlines folded,
    `|` escaped, long values cut at `width` characters). At most `rows` rows, so the Python
    loop over cells is not a hot path."""
    head = df.head(rows)
    header = [f"{name} ({dtype})" for name, dtype in head.schema.items()]
    return markdown_table(header, head.iter_rows(), width=width)


# ---------------------------------------------------------------------------------------------
# The IO manager
# ---------------------------------------------------------------------------------------------


def _meta_value(metadata: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    if not metadata or key not in metadata:
        return default
    value = metadata[key]
    return getattr(value, "value", value)


class LakeIOManager(PolarsParquetIOManager):
    """Stores Polars frames as Parquet under `base_path` (local folder or `s3://bucket/prefix`).

    S3 credentials are never fields: botocore (s3fs) and Polars read the standard AWS
    variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    `AWS_PROFILE`, instance roles), so nothing secret passes through run config or logs.
    """

    base_path: str = Field(description="Local folder or s3://bucket/prefix of the lake.")
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 API endpoint for MinIO/moto/other S3 services."
    )
    aws_region: str | None = Field(default=None, description="Region of the bucket.")
    s3_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries of one S3 request (botocore's standard mode: 500/502/503/504, "
        "SlowDown and dropped connections retried with jittered exponential backoff).",
    )
    row_group_size: int = Field(
        default=131_072,
        gt=0,
        description="Rows per Parquet row group (scan parallelism/skipping).",
    )
    compression_level: int = Field(default=3, ge=1, le=22, description="zstd level (1-22).")

    # What the writes of the current `handle_output` produced, by path (footer figures).
    _written: dict[str, WrittenFile] = PrivateAttr(default_factory=dict)

    # -- storage -------------------------------------------------------------------------

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._base_path = self.root()

    @property
    def is_s3(self) -> bool:
        return self.base_path.startswith(("s3://", "s3a://"))

    def fsspec_options(self) -> dict[str, Any]:
        """fsspec/s3fs options: the endpoint goes in `client_kwargs` (a top-level
        `endpoint_url` is dropped on some s3fs code paths and requests go to real AWS)."""
        if not self.is_s3:
            return {}
        client_kwargs = {}
        if self.s3_endpoint_url:
            client_kwargs["endpoint_url"] = self.s3_endpoint_url
        if self.aws_region:
            client_kwargs["region_name"] = self.aws_region
        retries = {"mode": "standard", "max_attempts": self.s3_max_attempts}
        # Listings must be fresh: other processes write the same prefixes.
        return {
            "client_kwargs": client_kwargs,
            "config_kwargs": {"retries": retries},
            "use_listings_cache": False,
        }

    @property
    def storage_options(self) -> dict[str, Any]:
        return self.fsspec_options()

    def polars_options(self) -> dict[str, str] | None:
        """The endpoint/region in the option names of Polars' native object store (plain-HTTP
        endpoints such as MinIO or moto also need `aws_allow_http`)."""
        if not self.is_s3:
            return None
        options: dict[str, str] = {}
        if self.s3_endpoint_url:
            options["aws_endpoint_url"] = self.s3_endpoint_url
            if self.s3_endpoint_url.startswith("http://"):
                options["aws_allow_http"] = "true"
        if self.aws_region:
            options["aws_region"] = self.aws_region
        return options

    def root(self) -> UPath:
        if self.is_s3:
            return UPath(self.base_path, **self.fsspec_options())
        if "://" in self.base_path:
            return UPath(self.base_path)
        return UPath(UPath(self.base_path).expanduser().resolve())

    def _fs_root(self) -> tuple[AbstractFileSystem, str]:
        root = self.root()
        return root.fs, root.path.rstrip("/")

    def url(self, path: str) -> str:
        """An fsspec path as Polars wants it (`s3://...` for S3, plain path locally)."""
        return f"s3://{path}" if self.is_s3 else path

    def upath(self, path: str) -> UPath:
        return UPath(self.url(path), **self.fsspec_options()) if self.is_s3 else UPath(path)

    def _write_options(self) -> ParquetWriteOptions:
        return ParquetWriteOptions(
            compression_level=self.compression_level, row_group_size=self.row_group_size
        )

    # -- paths ---------------------------------------------------------------------------

    def asset_prefix(self, context: InputContext | OutputContext) -> str:
        _, root = self._fs_root()
        if context.has_asset_key:
            parts = [_safe(p) for p in context.asset_key.path]
        else:  # an op output: run id / step / output name
            parts = ["_ops", *(_safe(p) for p in context.get_identifier())]
        return "/".join([root, *parts])

    def partition_path(
        self,
        context: InputContext | OutputContext,
        partitions_def: PartitionsDefinition | None,
        key: str,
    ) -> str:
        return f"{self.asset_prefix(context)}/{partition_segment(partitions_def, key)}/{PART_FILE}"

    def unpartitioned_path(self, context: InputContext | OutputContext) -> str:
        return f"{self.asset_prefix(context)}.parquet"

    # -- writing (dagster-polars routes eager frames here, lazy ones to sink_df_to_path) --

    def write_df_to_path(self, context: OutputContext, df: pl.DataFrame, path: UPath) -> None:
        self._written[str(path.path)] = write_parquet_atomic(
            df, path.fs, path.path, self._write_options()
        )

    def sink_df_to_path(self, context: OutputContext, df: pl.LazyFrame, path: UPath) -> None:
        # The same atomic write, which streams a lazy frame through `sink_parquet`.
        self.write_df_to_path(context, df, path)  # type: ignore[arg-type]

    def scan_df_from_path(
        self, path: UPath, context: InputContext, partition_key: str | None = None
    ) -> pl.LazyFrame:
        return pl.scan_parquet(
            self.url(path.path), storage_options=self.polars_options(), glob=False
        )

    # -- output --------------------------------------------------------------------------

    def _dump(
        self, context: OutputContext, frame: pl.DataFrame | pl.LazyFrame, target: str
    ) -> None:
        """Through dagster-polars' type routing when the output has a type; contexts built by
        hand (tests, scripts) may carry none, and both routes write the same atomic file."""
        try:
            context.dagster_type  # noqa: B018 (raises when the context has no type)
        except DagsterInvariantViolationError:
            self.write_df_to_path(context, frame, self.upath(target))  # type: ignore[arg-type]
            return
        self.dump_to_path(context, frame, self.upath(target))

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | pl.LazyFrame | None):
        if obj is None:
            context.log.info("output is None: nothing written to the lake")
            return
        if not isinstance(obj, pl.DataFrame | pl.LazyFrame):
            raise TypeError(
                f"{type(self).__name__} stores polars DataFrame/LazyFrame outputs, "
                f"got {type(obj).__name__}"
            )
        fs, _ = self._fs_root()
        self._written = {}
        written: dict[str, WrittenFile] = {}
        if not context.has_asset_partitions:
            target = self.unpartitioned_path(context)
            self._dump(context, obj, target)
            written[""] = self._written[target]
            context.add_output_metadata(self._output_metadata(obj, written))
            return
        keys = list(context.asset_partition_keys)
        pdef = context.asset_partitions_def
        frames: Mapping[str, pl.DataFrame | pl.LazyFrame]
        if len(keys) == 1:
            frames = {keys[0]: obj}
        else:
            column = _meta_value(
                context.definition_metadata, "partition_expr", DEFAULT_PARTITION_EXPR
            )
            df = obj.collect() if isinstance(obj, pl.LazyFrame) else obj
            frames = split_by_partition(df, column, pdef, keys)
            context.log.info(
                f"splitting {df.height} rows by {column!r} into {len(keys)} partitions "
                f"{keys[0]}..{keys[-1]}"
            )
        for key, frame in frames.items():
            target = self.partition_path(context, pdef, key)
            self._dump(context, frame, target)
            written[key] = self._written[target]
            removed = remove_siblings(fs, target.rpartition("/")[0], [target])
            if removed:
                context.log.info(f"partition {key}: removed stale files {removed}")
        context.add_output_metadata(self._output_metadata(obj, written))
        if len(written) > 1:  # a range run: each partition's event gets its own file figures
            add_partition_figures(
                context,
                {
                    key: {
                        "dagster/row_count": MetadataValue.int(f.rows),
                        "bytes": MetadataValue.int(f.bytes),
                        "row_groups": MetadataValue.int(f.row_groups),
                        "path": MetadataValue.path(self.url(f.path)),
                    }
                    for key, f in written.items()
                },
            )

    def _output_metadata(
        self, obj: pl.DataFrame | pl.LazyFrame, written: Mapping[str, WrittenFile]
    ) -> dict[str, Any]:
        files = list(written.values())
        schema = obj.collect_schema() if isinstance(obj, pl.LazyFrame) else obj.schema
        if isinstance(obj, pl.LazyFrame):
            head = pl.read_parquet(
                self.url(files[0].path), n_rows=PREVIEW_ROWS, storage_options=self.polars_options()
            )
        else:
            head = obj.head(PREVIEW_ROWS)
        metadata: dict[str, Any] = {
            "dagster/column_schema": table_schema(schema),
            # Raw partitions carry personal data; the event log (the UI) must not (privacy.py).
            "preview": MetadataValue.md(markdown_preview(preview_safe(head))),
        }
        if len(files) == 1:
            metadata["dagster/row_count"] = MetadataValue.int(files[0].rows)
            metadata["bytes"] = MetadataValue.int(files[0].bytes)
            metadata["row_groups"] = MetadataValue.int(files[0].row_groups)
            metadata["path"] = MetadataValue.path(self.url(files[0].path))
        else:
            # Dagster attaches one metadata dict to every partition of a range run, so a
            # `dagster/row_count` here would claim the run's total for each partition. The
            # run's totals are reported under their own names; each partition's own row
            # count, bytes and path are added to its event only (`add_partition_figures`).
            metadata["rows_in_run"] = MetadataValue.int(sum(f.rows for f in files))
            metadata["bytes_in_run"] = MetadataValue.int(sum(f.bytes for f in files))
            metadata["partitions"] = MetadataValue.json(
                {
                    key: {"path": self.url(f.path), "rows": f.rows, "bytes": f.bytes}
                    for key, f in written.items()
                }
            )
        return metadata

    # -- input ---------------------------------------------------------------------------

    def _router(self, context: InputContext) -> TypeRouter | None:
        """dagster-polars' type router for the consumer's annotation; None for contexts built
        without a type (tests), which then get eager frames."""
        try:
            return resolve_type_router(context, context.dagster_type)
        except Exception:
            return None

    def _load(self, context: InputContext, path: str, router: TypeRouter | None) -> Any:
        if router is None:
            return self.scan_df_from_path(self.upath(path), context).collect()
        return self.load_from_path(context, self.upath(path))

    def load_input(self, context: InputContext) -> Any:
        router = self._router(context)
        optional = isinstance(router, OptionalTypeRouter)
        if not context.has_asset_key or not context.has_asset_partitions:
            path = self.unpartitioned_path(context)
            if not self._exists([path], path.rpartition("/")[0])[path]:
                if optional:
                    return None
                raise MissingPartitionsError(
                    f"{self._label(context)} has no stored data at {self.url(path)}: "
                    "materialize it first"
                )
            return self._load(context, path, router)

        keys = list(context.asset_partition_keys)
        pdef = context.asset_partitions_def
        paths = {k: self.partition_path(context, pdef, k) for k in keys}
        exists = self._exists(list(paths.values()), self.asset_prefix(context))
        missing = [k for k in keys if not exists[paths[k]]]
        if missing:
            metadata = context.definition_metadata
            allow = bool(_meta_value(metadata, "allow_missing_partitions", False))
            message = (
                f"{self._label(context)} is missing {len(missing)} of {len(keys)} partitions "
                f"needed: {', '.join(missing)} "
                f"(expected e.g. {self.url(paths[missing[0]])})"
            )
            if not allow and not (optional and len(missing) == len(keys)):
                raise MissingPartitionsError(
                    message + "; materialize them first, or set allow_missing_partitions=True "
                    "in the input's metadata to skip them"
                )
            # The consumer asked for this (input metadata), so it is information, not a warning.
            context.log.info(message + "; skipped (allow_missing_partitions)")
        present = {k: paths[k] for k in keys if exists[paths[k]]}

        if isinstance(router, DictTypeRouter):
            return {k: self._load(context, p, router) for k, p in present.items()}
        eager = router is None or self.type_router_is_eager(router)
        if not present:
            if optional:
                return None
            return pl.DataFrame() if eager else pl.LazyFrame()
        if len(present) == 1:
            return self._load(context, next(iter(present.values())), router)
        lazy = self._scan_many(context, present)
        columns = _meta_value(context.definition_metadata, "columns", None)
        if columns is not None:
            lazy = lazy.select(columns)
        return lazy.collect() if eager else lazy

    def _label(self, context: InputContext | OutputContext) -> str:
        return context.asset_key.to_user_string() if context.has_asset_key else "op output"

    def _exists(self, paths: list[str], prefix: str) -> dict[str, bool]:
        """Which of `paths` (all under `prefix`) exist: HEAD each, or list once when many."""
        fs, _ = self._fs_root()
        if len(paths) <= _LIST_INSTEAD_OF_HEAD:
            return {p: fs.exists(p) for p in paths}
        found = set(fs.find(prefix)) if fs.exists(prefix) else set()
        return {p: p in found for p in paths}

    def _scan_many(self, context: InputContext, paths: Mapping[str, str]) -> pl.LazyFrame:
        """One lazy scan over several partitions, after checking from the footers alone that
        they share one schema (the newest partition's), so the concatenation is well typed."""
        options = self.polars_options()
        schemas = {
            k: pl.scan_parquet(self.url(p), storage_options=options, glob=False).collect_schema()
            for k, p in paths.items()
        }
        reference_key = list(paths)[-1]
        reference = schemas[reference_key]
        bad = {k: s for k, s in schemas.items() if s != reference}
        if bad:
            details = []
            for k, s in bad.items():
                diff = sorted({c for c in set(s) | set(reference) if s.get(c) != reference.get(c)})
                details.append(
                    f"{k}: " + ", ".join(f"{c} {s.get(c)} vs {reference.get(c)}" for c in diff)
                )
            raise PartitionSchemaMismatchError(
                f"{self._label(context)}: partitions disagree with the schema of "
                f"{reference_key}: " + "; ".join(details) + ". Re-materialize them."
            )
        return pl.scan_parquet(
            [self.url(p) for p in paths.values()],
            storage_options=options,
            glob=False,
            schema=reference,
        )
