"""The lake's disk fills up in the middle of a partition write (a real size-limited tmpfs).

The write fails with an error that says "No space left on device" (errno 28), the old
partition stays whole and readable, and no temporary file is left where readers look.
Needs root for the mount (the CI machine and `make test` run as root); elsewhere it skips
with that reason.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from analytics_assets.storage.atomic import is_temp_name
from analytics_assets.storage.parquet import LakeIOManager
from analytics_assets_tests.storage.test_parquet import day_frame
from analytics_assets_tests.storage.test_parquet_atomic import DAY, in_ctx, out_ctx


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_fails_clearly_and_keeps_the_old_partition(small_disk: Path) -> None:
    io = LakeIOManager(base_path=str(small_disk / "lake"))
    old = day_frame(DAY, 4)
    io.handle_output(out_ctx(), old)

    # ~4 MB of incompressible text: far more than the 512 kB disk holds.
    big = day_frame(DAY, 2000).with_columns(
        pl.Series("query", [os.urandom(1000).hex() for _ in range(2000)], dtype=pl.String)
    )
    # Polars' writer reports it as a ComputeError carrying the OS error; Python's as OSError.
    with pytest.raises((OSError, pl.exceptions.ComputeError)) as failure:
        io.handle_output(out_ctx(), big)
    text = str(failure.value)
    assert "No space left on device" in text or getattr(failure.value, "errno", 0) == errno.ENOSPC

    stored = io.load_input(in_ctx())
    stored = stored.collect() if isinstance(stored, pl.LazyFrame) else stored
    assert stored.equals(old)  # the old partition, whole
    leftovers = [p.name for p in (small_disk / "lake").rglob("*") if is_temp_name(p.name)]
    assert leftovers == []
