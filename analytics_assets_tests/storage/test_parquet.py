"""LakeIOManager on a local folder: layout, encoding, loads, range outputs, replacement.

Everything here writes and reads real Parquet files; the Dagster tests run real `materialize`
calls on an ephemeral instance.
"""

# No `from __future__ import annotations`: Dagster reads the asset annotations at runtime.
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    BackfillPolicy,
    DagsterType,
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    WeeklyPartitionsDefinition,
    asset,
    build_input_context,
    build_output_context,
    materialize,
)

from analytics_assets.storage.parquet import (
    LakeIOManager,
    MissingPartitionsError,
    PartitionColumnError,
    PartitionSchemaMismatchError,
    markdown_preview,
    partition_segment,
    split_by_partition,
)

DAILY = DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
WEEKLY = WeeklyPartitionsDefinition(start_date="2025-01-01", timezone="UTC", day_offset=1)
MONTHLY = MonthlyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
WEEK_DAYS = [(date(2025, 1, 6) + timedelta(days=i)).isoformat() for i in range(7)]
WEEK_OF_DAYS = AssetIn(partition_mapping=TimeWindowPartitionMapping())
RANGE_TAGS = {
    "dagster/asset_partition_range_start": WEEK_DAYS[0],
    "dagster/asset_partition_range_end": WEEK_DAYS[-1],
}


def day_frame(day: str, n: int = 5) -> pl.DataFrame:
    """`n` message-like rows inside UTC day `day`."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return pl.DataFrame(
        {
            "id": [f"{day}-{i}" for i in range(n)],
            "created_at": [start + timedelta(hours=i * 4) for i in range(n)],
            "answer_tokens": list(range(n)),
        },
        schema={"id": pl.String, "created_at": pl.Datetime("us", "UTC"), "answer_tokens": pl.Int64},
    )


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- layout (pure) ----------------------------------------------------------------------------


def test_partition_segments_follow_the_time_grain() -> None:
    assert partition_segment(DAILY, "2025-01-03") == "date=2025-01-03"
    assert partition_segment(WEEKLY, "2025-01-06") == "week=2025-01-06"
    assert partition_segment(MONTHLY, "2025-02-01") == "month=2025-02"
    # Sunday-start weeks and non-time partitions too; no key can escape its folder.
    assert partition_segment(WeeklyPartitionsDefinition(start_date="2025-01-01"), "2025-01-05") == (
        "week=2025-01-05"
    )
    assert partition_segment(StaticPartitionsDefinition(["a/.."]), "a/..") == "partition=a%2F.."
    key = MultiPartitionKey({"date": "2025-01-01", "app": "bot"})
    assert partition_segment(None, key) == "app=bot/date=2025-01-01"


def test_annotations_route_eager_lazy_dict_optional_and_columns(tmp_path: Path) -> None:
    """dagster-polars' type routing, through the lake's own layout and multi-partition scan:
    two of the week's days are stored, the consumers allow the missing ones."""
    seen: dict[str, object] = {}
    two_of_seven = AssetIn(
        partition_mapping=TimeWindowPartitionMapping(),
        metadata={"allow_missing_partitions": True},
    )

    @asset(partitions_def=DAILY, backfill_policy=BackfillPolicy.single_run())
    def days() -> pl.DataFrame:
        return pl.concat([day_frame(d, n=3) for d in WEEK_DAYS[:2]])

    @asset(partitions_def=WEEKLY, ins={"days": two_of_seven})
    def eager(days: pl.DataFrame) -> None:
        seen["eager"] = days

    @asset(partitions_def=WEEKLY, ins={"days": two_of_seven})
    def lazy(days: pl.LazyFrame) -> None:
        seen["lazy"] = days

    @asset(partitions_def=WEEKLY, ins={"days": two_of_seven})
    def per_day(days: dict[str, pl.DataFrame]) -> None:
        seen["dict"] = days

    @asset(
        partitions_def=WEEKLY,
        ins={
            "days": AssetIn(
                partition_mapping=TimeWindowPartitionMapping(),
                metadata={"columns": ["id"], "allow_missing_partitions": True},
            )
        },
    )
    def projected(days: pl.DataFrame) -> None:
        seen["columns"] = days

    @asset(partitions_def=WEEKLY, ins={"days": WEEK_OF_DAYS})
    def strict(days: pl.DataFrame) -> None:
        seen["strict"] = days

    io = LakeIOManager(base_path=str(tmp_path))
    tags = {**RANGE_TAGS, "dagster/asset_partition_range_end": WEEK_DAYS[1]}
    assert materialize([days], resources={"io_manager": io}, tags=tags).success
    consumers = [eager, lazy, per_day, projected]
    assert materialize(
        [days, *consumers],
        selection=consumers,
        partition_key=WEEK_DAYS[0],
        resources={"io_manager": io},
    ).success
    assert isinstance(seen["eager"], pl.DataFrame) and seen["eager"].height == 6
    assert isinstance(seen["lazy"], pl.LazyFrame) and seen["lazy"].collect().height == 6
    assert sorted(seen["dict"]) == WEEK_DAYS[:2]  # type: ignore[call-overload]
    assert seen["columns"].columns == ["id"]  # type: ignore[attr-defined]
    # Without allow_missing_partitions the five missing days are a clear failure.
    result = materialize(
        [days, strict],
        selection=[strict],
        partition_key=WEEK_DAYS[0],
        resources={"io_manager": io},
        raise_on_error=False,
    )
    assert not result.success and "strict" not in seen


# --- output/input contexts on a local folder --------------------------------------------------


def test_unpartitioned_round_trip_layout_encoding_and_metadata(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path), row_group_size=1_000)
    df = pl.DataFrame({"id": [f"m{i}" for i in range(2_500)], "tokens": list(range(2_500))})
    out = build_output_context(asset_key=AssetKey(["lake", "messages"]))
    io.handle_output(out, df)

    target = tmp_path / "lake" / "messages.parquet"
    assert files_under(tmp_path) == ["lake/messages.parquet"]
    meta = pq.read_metadata(target)
    assert meta.num_row_groups == 3  # 2,500 rows in groups of 1,000
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(g).column(c)
            assert col.compression == "ZSTD"
            assert col.is_stats_set and col.statistics.has_min_max
    assert meta.row_group(0).column(1).statistics.min == 0

    md = out.get_logged_metadata()
    assert md["dagster/row_count"].value == 2_500
    assert md["bytes"].value == target.stat().st_size
    assert md["path"].value == str(target)
    assert [c.name for c in md["dagster/column_schema"].schema.columns] == ["id", "tokens"]
    preview = md["preview"].value
    assert preview.startswith("|") and "m9" in preview and "m10" not in preview

    loaded = io.load_input(
        build_input_context(asset_key=AssetKey(["lake", "messages"]), dagster_type=None)
    )
    assert loaded.equals(df)


def test_daily_partition_path_and_lazy_load(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))
    df = day_frame("2025-01-03")
    io.handle_output(
        build_output_context(
            asset_key=AssetKey("raw_messages"),
            partition_key="2025-01-03",
            asset_partitions_def=DAILY,
        ),
        df,
    )
    assert files_under(tmp_path) == ["raw_messages/date=2025-01-03/part-0.parquet"]

    lazy_type = DagsterType(
        lambda _, v: isinstance(v, pl.LazyFrame), name="LazyFrame", typing_type=pl.LazyFrame
    )
    got = io.load_input(
        build_input_context(
            asset_key=AssetKey("raw_messages"),
            partition_key="2025-01-03",
            asset_partitions_def=DAILY,
            dagster_type=lazy_type,
        )
    )
    assert isinstance(got, pl.LazyFrame)
    assert got.filter(pl.col("answer_tokens") > 2).collect().get_column("id").to_list() == [
        "2025-01-03-3",
        "2025-01-03-4",
    ]


def test_rematerializing_replaces_the_partition_whole(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))

    def ctx():
        return build_output_context(
            asset_key=AssetKey("t"), partition_key="2025-01-03", asset_partitions_def=DAILY
        )

    io.handle_output(ctx(), day_frame("2025-01-03", 5))
    folder = tmp_path / "t" / "date=2025-01-03"
    # A stale extra part file and a temp file from a crashed writer must not survive.
    day_frame("2025-01-03", 5).write_parquet(folder / "part-1.parquet")
    (folder / ".part-0.parquet.dead.tmp").write_bytes(b"PAR1 half")
    io.handle_output(ctx(), day_frame("2025-01-03", 2))

    assert files_under(folder) == ["part-0.parquet"]
    # A reader scanning the folder sees exactly the new rows, no duplicates.
    assert pl.scan_parquet(folder / "*.parquet").collect().height == 2


def test_none_output_writes_nothing(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))
    io.handle_output(build_output_context(asset_key=AssetKey("nothing")), None)
    assert files_under(tmp_path) == []


def test_missing_unpartitioned_input_is_a_clear_error(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))
    with pytest.raises(MissingPartitionsError, match="never_written.*materialize it first"):
        io.load_input(build_input_context(asset_key=AssetKey("never_written")))


# --- range outputs (pure split) ---------------------------------------------------------------


def test_split_maps_datetimes_dates_and_keys_to_partitions() -> None:
    df = pl.concat([day_frame(WEEK_DAYS[0], 3), day_frame(WEEK_DAYS[2], 4)])
    parts = split_by_partition(df, "created_at", DAILY, WEEK_DAYS)
    assert list(parts) == WEEK_DAYS
    assert [p.height for p in parts.values()] == [3, 0, 4, 0, 0, 0, 0]
    assert parts[WEEK_DAYS[1]].schema == df.schema  # empty partitions keep the schema

    # A non-UTC instant lands on its UTC day: 2025-01-07 01:00 +02:00 is 2025-01-06 23:00 UTC.
    local = pl.DataFrame(
        {"created_at": [datetime(2025, 1, 7, 1, tzinfo=UTC) - timedelta(hours=2)]}
    ).with_columns(pl.col("created_at").dt.convert_time_zone("Europe/Berlin"))
    assert split_by_partition(local, "created_at", DAILY, WEEK_DAYS)[WEEK_DAYS[0]].height == 1

    weekly = split_by_partition(df, "created_at", WEEKLY, ["2025-01-06", "2025-01-13"])
    assert [p.height for p in weekly.values()] == [7, 0]
    dates = df.with_columns(pl.col("created_at").dt.date())
    assert split_by_partition(dates, "created_at", DAILY, WEEK_DAYS)[WEEK_DAYS[2]].height == 4
    keyed = pl.DataFrame({"day": [WEEK_DAYS[1], WEEK_DAYS[1]], "x": [1, 2]})
    assert split_by_partition(keyed, "day", DAILY, WEEK_DAYS)[WEEK_DAYS[1]].height == 2


def test_split_refuses_rows_outside_the_range() -> None:
    df = pl.concat([day_frame(WEEK_DAYS[0], 2), day_frame("2025-01-20", 1)])
    with pytest.raises(PartitionColumnError, match="1 rows have created_at outside"):
        split_by_partition(df, "created_at", DAILY, WEEK_DAYS)
    with pytest.raises(PartitionColumnError, match="not partitions"):
        split_by_partition(pl.DataFrame({"d": ["2025-02-01"]}), "d", DAILY, WEEK_DAYS)
    with pytest.raises(PartitionColumnError, match="column 'nope' is missing"):
        split_by_partition(df, "nope", DAILY, WEEK_DAYS)


# --- in Dagster: materialize with an ephemeral instance ---------------------------------------


@asset(partitions_def=DAILY, backfill_policy=BackfillPolicy.single_run())
def events(context: AssetExecutionContext) -> pl.DataFrame:
    """Rows for every day of the run's range, except Wednesdays (empty partitions)."""
    days = [k for k in context.partition_keys if datetime.fromisoformat(k).weekday() != 2]
    return pl.concat([day_frame(d, 3) for d in days]) if days else day_frame(WEEK_DAYS[0], 0)


@asset(partitions_def=WEEKLY, ins={"events": WEEK_OF_DAYS})
def weekly_frame(events: pl.DataFrame) -> pl.DataFrame:
    return events.group_by(pl.col("created_at").dt.date()).len().sort("created_at")


@asset(partitions_def=WEEKLY, ins={"events": WEEK_OF_DAYS})
def weekly_lazy(events: pl.LazyFrame) -> pl.DataFrame:
    assert isinstance(events, pl.LazyFrame)
    return events.select(pl.len().alias("rows")).collect()


@asset(partitions_def=WEEKLY, ins={"events": WEEK_OF_DAYS})
def weekly_dict(events: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return pl.DataFrame({"day": list(events), "rows": [f.height for f in events.values()]})


@asset(
    partitions_def=WEEKLY,
    ins={
        "events": AssetIn(
            partition_mapping=TimeWindowPartitionMapping(),
            metadata={"allow_missing_partitions": True},
        )
    },
)
def weekly_tolerant(events: pl.DataFrame) -> pl.DataFrame:
    return events.select(pl.len().alias("rows"))


def test_range_output_split_then_weekly_loads(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))
    result = materialize([events], resources={"io_manager": io}, tags=RANGE_TAGS)
    assert result.success
    expected = [f"events/date={d}/part-0.parquet" for d in WEEK_DAYS]
    assert files_under(tmp_path) == expected
    empty_day = "2025-01-08"  # a Wednesday: written empty, with the schema
    empty = pl.read_parquet(tmp_path / "events" / f"date={empty_day}" / "part-0.parquet")
    assert empty.height == 0 and empty.schema == day_frame(empty_day).schema
    mats = result.asset_materializations_for_node("events")
    assert sorted(m.partition for m in mats) == WEEK_DAYS
    assert mats[0].metadata["rows_in_run"].value == 18
    per_partition = mats[0].metadata["partitions"].value
    assert [per_partition[d]["rows"] for d in WEEK_DAYS] == [3, 3, 0, 3, 3, 3, 3]
    assert per_partition[WEEK_DAYS[0]]["path"].endswith("events/date=2025-01-06/part-0.parquet")

    result = materialize(
        [events, weekly_frame, weekly_lazy, weekly_dict],
        selection=[weekly_frame, weekly_lazy, weekly_dict],
        resources={"io_manager": io},
        partition_key="2025-01-06",
    )
    assert result.success
    counts = pl.read_parquet(tmp_path / "weekly_frame" / "week=2025-01-06" / "part-0.parquet")
    assert counts.get_column("len").to_list() == [3, 3, 3, 3, 3, 3]  # 6 non-empty days
    lazy = pl.read_parquet(tmp_path / "weekly_lazy" / "week=2025-01-06" / "part-0.parquet")
    assert lazy.item() == 18
    per_day = pl.read_parquet(tmp_path / "weekly_dict" / "week=2025-01-06" / "part-0.parquet")
    assert per_day.get_column("day").to_list() == WEEK_DAYS
    assert per_day.get_column("rows").to_list() == [3, 3, 0, 3, 3, 3, 3]


def test_missing_upstream_partitions_are_named(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))
    for day in WEEK_DAYS[:5]:
        io.handle_output(
            build_output_context(
                asset_key=AssetKey("events"), partition_key=day, asset_partitions_def=DAILY
            ),
            day_frame(day, 2),
        )
    result = materialize(
        [events, weekly_frame],
        selection=[weekly_frame],
        resources={"io_manager": io},
        partition_key="2025-01-06",
        raise_on_error=False,
    )
    assert not result.success
    failure = result.failure_data_for_node("weekly_frame")
    assert failure is not None
    message = str(failure.error)
    assert "missing 2 of 7 partitions" in message
    assert "2025-01-11, 2025-01-12" in message

    tolerant = materialize(
        [events, weekly_tolerant],
        selection=[weekly_tolerant],
        resources={"io_manager": io},
        partition_key="2025-01-06",
    )
    assert tolerant.success
    out = pl.read_parquet(tmp_path / "weekly_tolerant" / "week=2025-01-06" / "part-0.parquet")
    assert out.item() == 10


def test_multi_partition_load_enforces_one_schema(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))
    for day in WEEK_DAYS:
        frame = day_frame(day, 2)
        if day == WEEK_DAYS[3]:
            frame = frame.with_columns(pl.col("answer_tokens").cast(pl.Float64))
        io.handle_output(
            build_output_context(
                asset_key=AssetKey("events"), partition_key=day, asset_partitions_def=DAILY
            ),
            frame,
        )
    result = materialize(
        [events, weekly_frame],
        selection=[weekly_frame],
        resources={"io_manager": io},
        partition_key="2025-01-06",
        raise_on_error=False,
    )
    assert not result.success
    message = str(result.failure_data_for_node("weekly_frame").error)
    assert "2025-01-09: answer_tokens Float64 vs Int64" in message
    with pytest.raises(PartitionSchemaMismatchError):
        io.load_input(
            build_input_context(
                asset_key=AssetKey("events"),
                asset_partitions_def=DAILY,
                asset_partition_key_range=_range(WEEK_DAYS[0], WEEK_DAYS[-1]),
            )
        )


def _range(start: str, end: str):
    from dagster import PartitionKeyRange

    return PartitionKeyRange(start, end)


def test_markdown_preview_keeps_one_line_per_row() -> None:
    df = pl.DataFrame({"query": ["a|b", "two\nlines", "x" * 100], "n": [1, None, 3]})
    lines = markdown_preview(df, rows=2).splitlines()
    assert lines[0] == "| query (String) | n (Int64) |"
    assert lines[2:] == ["| a\\|b | 1 |", "| two lines |  |"]
    assert markdown_preview(df).splitlines()[-1].startswith("| " + "x" * 59 + "…")


def test_many_partitions_are_checked_with_one_listing(tmp_path: Path) -> None:
    """Above 16 partitions existence comes from one listing of the asset folder."""
    io = LakeIOManager(base_path=str(tmp_path))
    days = [(date(2025, 1, 1) + timedelta(days=i)).isoformat() for i in range(20)]
    for day in days:
        if day != "2025-01-13":
            io.handle_output(
                build_output_context(
                    asset_key=AssetKey("events"), partition_key=day, asset_partitions_def=DAILY
                ),
                day_frame(day, 1),
            )

    def ctx(metadata=None):
        return build_input_context(
            asset_key=AssetKey("events"),
            asset_partitions_def=DAILY,
            asset_partition_key_range=_range(days[0], days[-1]),
            definition_metadata=metadata,
        )

    with pytest.raises(
        MissingPartitionsError, match=r"missing 1 of 20 partitions needed: 2025-01-13"
    ):
        io.load_input(ctx())
    got = io.load_input(ctx({"allow_missing_partitions": True}))
    assert got.height == 19 and "2025-01-13-0" not in got.get_column("id").to_list()
