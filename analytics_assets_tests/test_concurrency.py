"""Concurrent runs through the celery executor leave every partition whole.

Real parts: celery workers (started here) on the machine's Redis (and one run over RabbitMQ),
the production instance file on a throw-away PostgreSQL database, the embedded MongoDB of the
session, and runs launched as separate processes at the same moment:

* two runs of *different* partitions of the same assets: each partition holds exactly its
  run's rows;
* the *same* partition launched twice with different demo seeds: in the lake and in MongoDB
  the partition holds exactly one run's rows, never a mix of both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from analytics_assets.partitions import day_window
from analytics_assets.sources.demo.resource import DemoSourceResource
from analytics_assets.storage.mongo import MongoResource
from analytics_assets_tests.fixtures.celery import broker_url, celery_env, start_workers
from analytics_assets_tests.fixtures.mongo import MongoTestServer
from analytics_assets_tests.fixtures.postgres import (
    create_database,
    drop_database,
    pg_instance_env,
    postgres_home,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ASSETS = "raw_conversations,raw_messages,categorized_messages,serving_conversation_categories"
MESSAGES_PER_DAY = 120


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory: pytest.TempPathFactory, mongo_server: MongoTestServer):
    """Environment shared by the workers and the runs: PostgreSQL instance, lake, MongoDB."""
    tmp = tmp_path_factory.mktemp("celery-stack")
    database = create_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "ANALYTICS_"))}
    env |= pg_instance_env(database) | {
        "DAGSTER_HOME": str(postgres_home(tmp / "home")),
        "ANALYTICS_DATA_DIR": str(tmp / "data"),
        "ANALYTICS_SOURCE": "demo",
        "DEMO_MESSAGES_PER_DAY": str(MESSAGES_PER_DAY),
        "PARTITIONS_START_DATE": "2026-11-01",
        "MONGODB_URI": mongo_server.connection_uri,
        "MONGODB_DATABASE": f"celery_{uuid.uuid4().hex[:8]}",
        "SCORING_DEVICE": "cpu",
        "TRANSLATOR": "none",
    }
    try:
        yield env, tmp
    finally:
        drop_database(database)


@pytest.fixture(scope="module")
def redis_workers(stack_env) -> Iterator[dict[str, str]]:
    env, tmp = stack_env
    with start_workers(celery_env(env, broker_url("redis")), tmp, concurrency=2) as workers:
        yield workers.env


def launch(env: dict[str, str], partition: str, seed: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analytics_assets_tests.fixtures.run_job", "--assets", ASSETS]
        + ["--partition", partition, "--seed", str(seed)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=480)
    return proc.returncode, out.strip().splitlines()[-1] if out.strip() else err[-3000:]


def lake_ids(env: dict[str, str], asset: str, partition: str, column: str) -> set[str]:
    path = Path(env["ANALYTICS_DATA_DIR"]) / "lake" / asset / f"date={partition}"
    files = sorted(path.glob("*.parquet"))
    assert len(files) == 1, f"{asset} {partition}: expected one file, found {files}"
    return set(pl.read_parquet(files[0])[column].to_list())


def source_ids(partition: str, seed: int) -> tuple[set[str], set[str]]:
    """Message ids and ids of conversations with messages, as the demo source returns the day."""
    source = DemoSourceResource(
        seed=seed, messages_per_day=MESSAGES_PER_DAY, include_malformed=False
    )
    messages = source.fetch_messages(*day_window(partition))
    return set(messages["id"].to_list()), set(messages["conversation_id"].to_list())


def mongo_conversations(env: dict[str, str], partition: str) -> set[str]:
    mongo = MongoResource(uri=env["MONGODB_URI"], database=env["MONGODB_DATABASE"])
    docs = mongo.db()["conversation_categories"].find({"partition": partition})
    return {d["conversation_id"] for d in docs}


def assert_whole(env: dict[str, str], partition: str, seeds: tuple[int, ...]) -> int:
    """The partition holds exactly one seed's rows in every store; returns the lake's seed."""
    sources = {seed: source_ids(partition, seed) for seed in seeds}
    raw = lake_ids(env, "raw_messages", partition, "id")
    categorized = lake_ids(env, "categorized_messages", partition, "message_id")
    in_mongo = mongo_conversations(env, partition)
    winners = {}
    for name, got, index in (
        ("raw", raw, 0),
        ("categorized", categorized, 0),
        ("mongo", in_mongo, 1),
    ):
        matching = [seed for seed, ids in sources.items() if got == ids[index]]
        assert len(matching) == 1, f"{name} {partition}: {len(got)} ids match no single run " + str(
            {seed: (len(got & ids[index]), len(ids[index])) for seed, ids in sources.items()}
        )
        winners[name] = matching[0]
    return winners["raw"]


def test_different_partitions_at_once(redis_workers: dict[str, str]) -> None:
    env = redis_workers
    runs = [launch(env, "2026-11-03", 1), launch(env, "2026-11-04", 2)]
    results = [finish(p) for p in runs]
    assert all(code == 0 for code, _ in results), results
    assert assert_whole(env, "2026-11-03", (1, 2)) == 1
    assert assert_whole(env, "2026-11-04", (1, 2)) == 2
    with _instance(env) as instance:
        for _, run_id in results:
            run = instance.get_run_by_id(run_id)
            assert run is not None and run.status == DagsterRunStatus.SUCCESS
            messages = [e.message for e in instance.all_logs(run_id)]
            queues = {m.split('to queue "')[1].rstrip('".') for m in messages if "to queue" in m}
            prefix = env["CELERY_QUEUE_PREFIX"]
            assert queues == {f"{prefix}default", f"{prefix}scoring"}


def test_same_partition_twice(redis_workers: dict[str, str]) -> None:
    env = redis_workers
    runs = [launch(env, "2026-11-05", 3), launch(env, "2026-11-05", 4)]
    results = [finish(p) for p in runs]
    assert any(code == 0 for code, _ in results), results
    assert assert_whole(env, "2026-11-05", (3, 4)) in (3, 4)


def test_runs_over_rabbitmq(stack_env) -> None:
    env, tmp = stack_env
    with start_workers(celery_env(env, broker_url("rabbitmq")), tmp, concurrency=1) as workers:
        code, out = finish(launch(workers.env, "2026-11-06", 5))
        assert code == 0, out
    assert assert_whole(env, "2026-11-06", (5,)) == 5


def _instance(env: dict[str, str]) -> DagsterInstance:
    previous = {k: os.environ.get(k) for k in env if k.startswith("DAGSTER_")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("DAGSTER_")})
    try:
        return DagsterInstance.from_config(env["DAGSTER_HOME"])
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
