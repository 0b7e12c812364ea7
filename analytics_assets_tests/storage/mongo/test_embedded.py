"""The embedded server is one process per storage path, shared by every client process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from analytics_assets.storage.mongo import embedded

pytest.importorskip("secantus")

WRITER = textwrap.dedent(
    """
    import json, sys
    import polars as pl
    from analytics_assets.storage.mongo import MongoResource
    resource = MongoResource(embedded_path=sys.argv[1], database=sys.argv[2])
    record = sys.argv[3]
    counts = resource.errors().record_partition(
        "raw_messages", record,
        pl.DataFrame({"stage": ["ingestion"], "record_id": [record],
                      "reason": ["written by another process"]}),
    )
    print(json.dumps({"uri": resource.connection_uri(), "counts": counts}))
    """
)

ENSURE = (
    "import sys; from analytics_assets.storage.mongo import embedded; "
    "print(embedded.ensure_server(sys.argv[1]))"
)


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_other_processes_reuse_the_running_server(mongo_server) -> None:
    """Three processes at once (as the multiprocess executor starts steps) on a fresh
    database: all reach the fixture's server, the schema is created once without errors,
    and their writes are visible here."""
    if mongo_server.uri:
        pytest.skip("MONGODB_URI is set: no embedded server in this session")
    state_file = Path(mongo_server.embedded_path) / embedded.STATE_FILE
    before = json.loads(state_file.read_text())
    database = mongo_server.database + "_children"
    records = ["2025-01-01", "2025-01-02", "2025-01-03"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, mongo_server.embedded_path, database, record],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for record in records
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        result = json.loads(out.strip().splitlines()[-1])
        assert result["counts"] == {"recorded": 1, "new": 1, "resolved": 0}
        assert result["uri"] == mongo_server.connection_uri  # no second server
    assert json.loads(state_file.read_text()) == before
    client: MongoClient = MongoClient(mongo_server.connection_uri)
    try:
        docs = client[database]["processing_errors"].find({}, {"record_id": 1, "status": 1})
        assert sorted((d["record_id"], d["status"]) for d in docs) == [(r, "open") for r in records]
        assert "processing_errors" in client[database].list_collection_names()
    finally:
        client.drop_database(database)
        client.close()


def test_concurrent_starts_share_one_server_and_data_persists(tmp_path: Path) -> None:
    path = tmp_path / "mongo"
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", ENSURE, str(path)], stdout=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        uris = {p.communicate(timeout=120)[0].strip() for p in procs}
        assert len(uris) == 1 and all(p.returncode == 0 for p in procs)
        first = embedded.live_server(path)
        assert first is not None and first.uri in uris

        client: MongoClient = MongoClient(first.uri)
        client.persist.docs.insert_many([{"n": i} for i in range(5)])
        client.close()
        assert embedded.stop_server(path) is True
        assert embedded.live_server(path) is None

        uri = embedded.ensure_server(path)  # restart on the same storage
        second = embedded.live_server(path)
        assert second is not None and second.pid != first.pid
        client = MongoClient(uri)
        assert client.persist.docs.count_documents({}) == 5
        client.close()

        # A server that is alive but does not answer (stopped here; in life: busy) is waited
        # for, never killed: other processes may be writing through it.
        os.kill(second.pid, signal.SIGSTOP)
        try:
            with pytest.raises(embedded.EmbeddedServerError, match="did not answer"):
                embedded.ensure_server(path, timeout_s=2)
            assert embedded._pid_alive(second.pid)
        finally:
            os.kill(second.pid, signal.SIGCONT)
        assert embedded.ensure_server(path) == uri

        # The state file is the server's lease: a wiped data folder must not leave an orphan.
        (path / embedded.STATE_FILE).unlink()
        deadline = time.monotonic() + 30
        while embedded._pid_alive(second.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not embedded._pid_alive(second.pid)
    finally:
        embedded.stop_server(path)


@pytest.mark.parametrize("owner", ["dead", "recycled"])
def test_stale_state_file_is_replaced_and_cli_stops(tmp_path: Path, owner: str) -> None:
    """A state file left by a crash: its pid is gone, or now belongs to another process (here:
    this test process, which must survive)."""
    path = tmp_path / "mongo"
    path.mkdir()
    if owner == "dead":
        pid = int(
            subprocess.run(
                [sys.executable, "-c", "import os; print(os.getpid())"],
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
    else:
        pid = os.getpid()
    (path / embedded.STATE_FILE).write_text(
        json.dumps({"pid": pid, "host": "127.0.0.1", "port": 1})
    )
    try:
        uri = embedded.ensure_server(path)
        state = embedded.live_server(path)
        assert state is not None and state.uri == uri and state.pid != pid
    finally:
        stop = subprocess.run(
            [
                sys.executable,
                "-m",
                "analytics_assets.storage.mongo.embedded",
                "--stop",
                "--path",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert stop.returncode == 0 and stop.stdout.strip() == "stopped"
    assert embedded.live_server(path) is None and not (path / embedded.STATE_FILE).exists()
