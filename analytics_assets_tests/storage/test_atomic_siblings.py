"""`remove_siblings` never takes the temp file of a writer that is still writing.

The race it guards against: two writers of one partition at once (two runs of the same day,
a celery retry beside a slow first attempt). Writer A finishes and clears the folder while
writer B's temp file is half written; if A deletes it, B's rename fails and B's run fails.
The real thing is tested here with two processes writing one partition over and over, plus
the rule itself on hand-made temp files (live writer, dead writer, other host, old file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
from fsspec.implementations.local import LocalFileSystem

from analytics_assets.storage.atomic import (
    TEMP_STALE_AFTER_S,
    is_temp_name,
    remove_siblings,
    temp_is_abandoned,
    temp_name,
)

ROOT = Path(__file__).resolve().parents[2]


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def other_writers_name(name: str, pid: int, host: str | None = None) -> str:
    """`temp_name(name)` as another process (and optionally another host) would make it."""
    own = temp_name(name)
    head, _, tail = own.rpartition(".w")
    _, own_host, rest = tail.split("-", 2)
    return f"{head}.w{pid}-{host or own_host}-{rest}"


def test_live_writers_temp_survives_dead_and_stale_ones_go(tmp_path: Path) -> None:
    fs = LocalFileSystem()
    target = tmp_path / "part-0.parquet"
    target.write_bytes(b"PAR1 new")
    mine = tmp_path / temp_name("part-0.parquet")  # this process: alive
    dead = tmp_path / other_writers_name("part-0.parquet", dead_pid())
    remote_young = tmp_path / other_writers_name("part-0.parquet", 1, host="0badc0de")
    remote_old = tmp_path / other_writers_name("part-0.parquet", 2, host="0badc0de")
    foreign = tmp_path / ".part-0.parquet.crashed.tmp"  # no writer in its name
    stale_part = tmp_path / "part-1.parquet"
    for path in (mine, dead, remote_young, remote_old, foreign, stale_part):
        path.write_bytes(b"PAR1 half")
    old = time.time() - TEMP_STALE_AFTER_S - 60
    os.utime(remote_old, (old, old))
    os.utime(mine, (old, old))  # old but its writer lives: kept

    removed = remove_siblings(fs, str(tmp_path), [str(target)])

    assert {Path(p).name for p in removed} == {
        dead.name,
        remote_old.name,
        foreign.name,
        stale_part.name,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, mine.name, remote_young.name]
    )


def test_abandoned_rule() -> None:
    now = time.time()
    assert not temp_is_abandoned(temp_name("x.parquet"), mtime=0.0, now=now)
    assert temp_is_abandoned(other_writers_name("x.parquet", dead_pid()), mtime=now, now=now)
    remote = other_writers_name("x.parquet", 1, host="0badc0de")
    assert not temp_is_abandoned(remote, mtime=now - 10, now=now)
    assert not temp_is_abandoned(remote, mtime=None, now=now)
    assert temp_is_abandoned(remote, mtime=now - TEMP_STALE_AFTER_S - 1, now=now)
    assert is_temp_name(temp_name("x.parquet"))


WRITER = textwrap.dedent(
    """
    import sys
    import polars as pl
    from fsspec.implementations.local import LocalFileSystem
    from analytics_assets.storage.atomic import remove_siblings, write_parquet_atomic

    folder, tag, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    fs = LocalFileSystem()
    target = f"{folder}/part-0.parquet"
    frame = pl.DataFrame({"writer": [tag] * 200_000, "i": range(200_000)})
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    for _ in range(rounds):
        write_parquet_atomic(frame, fs, target)
        remove_siblings(fs, folder, [target])
    """
)


def test_two_processes_writing_one_partition_both_succeed(tmp_path: Path) -> None:
    """Before the fix one writer's clean-up deleted the other's temp file and its rename
    failed with FileNotFoundError; now both finish every round and the partition is whole."""
    folder = tmp_path / "date=2026-11-03"
    folder.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(tag), "40"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in (1, 2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in results]

    assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]
    frame = pl.read_parquet(folder / "part-0.parquet")
    assert frame.height == 200_000 and frame["writer"].n_unique() == 1
