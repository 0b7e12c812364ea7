"""Atomic partition writes: a failed or killed write leaves the old partition readable and whole.

The writes under test are real: a streaming `LazyFrame` output whose source yields batches
slowly, so the temporary file demonstrably holds part of the new data when the write dies
(an exception from the source in-process, or SIGKILL of the writing process).
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from dagster import AssetKey, build_input_context, build_output_context
from polars.io.plugins import register_io_source

from analytics_assets.storage.atomic import is_temp_name
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.fixtures.s3 import S3Server
from analytics_assets_tests.storage.test_parquet import DAILY, day_frame

DAY = "2025-01-03"
SCHEMA = day_frame(DAY).schema


def failing_source(batches_before_failure: int) -> pl.LazyFrame:
    """A lazy frame that yields real batches, then fails like a broken upstream read."""

    def generate(with_columns, predicate, n_rows, batch_size):
        for i in range(batches_before_failure):
            yield day_frame(DAY, 6).with_columns(pl.col("answer_tokens") + i * 10)
        raise ConnectionError("upstream went away half way")

    return register_io_source(generate, schema=SCHEMA)


def out_ctx():
    return build_output_context(
        asset_key=AssetKey("t"), partition_key=DAY, asset_partitions_def=DAILY
    )


def in_ctx():
    return build_input_context(
        asset_key=AssetKey("t"), partition_key=DAY, asset_partitions_def=DAILY
    )


@pytest.mark.parametrize("backend", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_write_that_fails_half_way_keeps_the_old_partition(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "s3":
        s3: S3Server = request.getfixturevalue("s3_server")
        io = LakeIOManager(
            base_path=request.getfixturevalue("s3_prefix"),
            s3_endpoint_url=s3.endpoint_url,
            aws_region=s3.region,
        )
    else:
        io = LakeIOManager(base_path=str(tmp_path))
    old = day_frame(DAY, 4)
    io.handle_output(out_ctx(), old)

    with pytest.raises(Exception, match="upstream went away"):
        io.handle_output(out_ctx(), failing_source(batches_before_failure=3))

    assert io.load_input(in_ctx()).equals(old)
    fs, root = io._fs_root()
    assert [p.rpartition("/")[2] for p in fs.find(root)] == ["part-0.parquet"]  # no temp left


WRITER = textwrap.dedent(
    """
    import sys, time
    import polars as pl
    from dagster import AssetKey, build_output_context
    from polars.io.plugins import register_io_source
    from analytics_assets.storage.parquet import LakeIOManager
    from analytics_assets_tests.storage.test_parquet import DAILY, day_frame

    schema = day_frame("2025-01-03").schema

    def generate(with_columns, predicate, n_rows, batch_size):
        for i in range(10_000):  # far more than the test waits for
            yield day_frame("2025-01-03", 5_000)
            time.sleep(0.02)

    io = LakeIOManager(base_path=sys.argv[1], row_group_size=5_000)
    ctx = build_output_context(
        asset_key=AssetKey("t"), partition_key="2025-01-03", asset_partitions_def=DAILY
    )
    io.handle_output(ctx, register_io_source(generate, schema=schema))
    """
)


@pytest.mark.slow
def test_sigkill_during_write_leaves_old_data_and_hides_the_temp_file(tmp_path: Path) -> None:
    io = LakeIOManager(base_path=str(tmp_path))
    old = day_frame(DAY, 4)
    io.handle_output(out_ctx(), old)
    folder = tmp_path / "t" / f"date={DAY}"

    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=os.getcwd())
    try:
        deadline = time.monotonic() + 120
        temp: Path | None = None
        while time.monotonic() < deadline and proc.poll() is None:
            temps = [p for p in folder.iterdir() if is_temp_name(p.name)]
            # Several row groups on disk: the new data is demonstrably half written.
            if temps and temps[0].stat().st_size > 200_000:
                temp = temps[0]
                break
            time.sleep(0.05)
        assert temp is not None, "the writer never got going"
        # While the write is in progress readers get the old partition.
        assert io.load_input(in_ctx()).equals(old)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # The crash left the old partition whole and the half-written file only under a hidden
    # temp name that no `*.parquet` reader picks up.
    assert io.load_input(in_ctx()).equals(old)
    assert temp.exists() and temp.stat().st_size > 200_000
    assert pl.scan_parquet(folder / "*.parquet").collect().equals(old)
    # The next write of the partition clears the leftover.
    io.handle_output(out_ctx(), day_frame(DAY, 2))
    assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]
    assert io.load_input(in_ctx()).height == 2
