"""Concurrent replacements of one partition leave exactly one writer's documents.

Without the partition lease, four writers started together on the same partition deleted each
other's documents and left it empty (seen on the embedded server before the lease was added).
"""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, timedelta

from analytics_assets.storage.atomic import host_hash
from analytics_assets.storage.mongo import MongoResource
from analytics_assets.storage.mongo.base import PARTITION_LOCKS, partition_lock

PARTITION = "2026-11-05"


def _docs(tag: str, n: int = 400) -> list[dict]:
    now = datetime.now(UTC)
    return [
        {
            "category_id": f"{tag}-{i}",
            "conversation_id": f"{tag}-c{i}",
            "category_type": "topic",
            "category_value": "billing",
            "partition": PARTITION,
            "updated_at": now,
        }
        for i in range(n)
    ]


def test_concurrent_replacements_leave_one_writer_whole(mongo_resource: MongoResource) -> None:
    repo = mongo_resource.categories()
    writers = {f"w{t}": _docs(f"w{t}") for t in range(4)}
    expected = {tag: {d["category_id"] for d in docs} for tag, docs in writers.items()}
    barrier = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def write(tag: str) -> None:
        barrier.wait()
        try:
            repo.replace_partition(PARTITION, [dict(d) for d in writers[tag]])
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(tag,)) for tag in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    coll = mongo_resource.db()["conversation_categories"]
    got = {d["category_id"] for d in coll.find({"partition": PARTITION})}
    assert [tag for tag, ids in expected.items() if got == ids], f"{len(got)} docs: a mix"
    assert mongo_resource.db()[PARTITION_LOCKS].count_documents({}) == 0  # all released


def test_expired_lease_of_a_dead_writer_is_taken_over(mongo_resource: MongoResource) -> None:
    coll = mongo_resource.db()["conversation_categories"]
    locks = mongo_resource.db()[PARTITION_LOCKS]
    lock_id = f"conversation_categories|partition={PARTITION}"
    locks.delete_many({})
    past = datetime.now(UTC) - timedelta(minutes=1)
    locks.insert_one({"_id": lock_id, "owner": "dead", "expires_at": past})
    with partition_lock(coll, "partition", PARTITION, wait_s=10):
        assert locks.find_one({"_id": lock_id})["owner"] != "dead"
    assert locks.count_documents({}) == 0


def test_a_live_lease_makes_the_next_writer_wait(mongo_resource: MongoResource) -> None:
    coll = mongo_resource.db()["conversation_categories"]
    with partition_lock(coll, "partition", PARTITION):
        try:
            with partition_lock(coll, "partition", PARTITION, wait_s=0.3):
                raise AssertionError("a second holder got the lease")
        except TimeoutError as exc:
            assert "stayed locked" in str(exc)


def test_the_lease_of_a_gone_process_of_this_host_is_taken_at_once(
    mongo_resource: MongoResource,
) -> None:
    """A SIGKILLed run's lease (30 minutes) used to make the next run wait it out."""
    coll = mongo_resource.db()["conversation_categories"]
    locks = mongo_resource.db()[PARTITION_LOCKS]
    lock_id = f"conversation_categories|partition={PARTITION}"
    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = subprocess.Popen(["sleep", "60"])
    future = datetime.now(UTC) + timedelta(minutes=30)
    try:
        for pid, taken in ((alive.pid, False), (gone.pid, True)):
            locks.delete_many({})
            holder = {"host": host_hash(), "pid": pid, "owner": "other", "expires_at": future}
            locks.insert_one({"_id": lock_id, **holder})
            try:
                with partition_lock(coll, "partition", PARTITION, wait_s=0.5):
                    got = True
            except TimeoutError:
                got = False
            assert got is taken, pid
    finally:
        alive.kill()
        alive.wait()
        locks.delete_many({})
