"""One embedded MongoDB wire-protocol server per storage path, shared by every process.

When `MONGODB_URI` is unset the platform stores its documents in SecantusDB (a MongoDB
wire-protocol server on WiredTiger, `recipes/mongodb.md`). SecantusDB opens its storage
directory exclusively, and Dagster runs each run (and each step, with the multiprocess
executor) in its own process, so starting a server inside every process on a shared path
would fail or corrupt data. Instead:

* one detached server process per storage path (`python -m
  analytics_assets.storage.mongo.embedded --path P`), in its own session so it outlives the
  process that started it, writes `P/server.json` (`pid`, `host`, `port`) once it listens;
* a client process (`ensure_server(P)`) reuses a live server (pid alive and it answers
  `ping`), and otherwise starts one while holding an `fcntl` lock on `P/server.lock`, so two
  processes racing to start a server end up with one;
* a server that runs but answers slowly (busy with a long bulk write) is waited for, never
  killed: other processes may be writing through it;
* `server.json` is the server's lease: the server stops itself when the file disappears (its
  data folder was deleted) or names another process, so no orphan keeps running;
* `stop_server(P)` (or `--stop --path P`) sends SIGTERM, which stops the server cleanly
  (WiredTiger checkpoint) and removes the state file.

Data lives in `P/db`; the server log in `P/server.log`. Data persists across restarts.
SecantusDB is GPL-2.0 and beta: an optional extra (`embedded`) for local runs and tests only,
never needed when `MONGODB_URI` points at a real server.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

MODULE = "analytics_assets.storage.mongo.embedded"
STATE_FILE = "server.json"
LOCK_FILE = "server.lock"
LOG_FILE = "server.log"
DATA_DIR = "db"
HOST = "127.0.0.1"


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be started or reached."""


@dataclass(frozen=True)
class ServerState:
    pid: int
    host: str
    port: int

    @property
    def uri(self) -> str:
        # directConnection: the server runs standalone; never try replica-set discovery.
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"


def _read_state(path: Path) -> ServerState | None:
    try:
        raw = json.loads((path / STATE_FILE).read_text())
        return ServerState(pid=int(raw["pid"]), host=str(raw["host"]), port=int(raw["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_state(path: Path, state: ServerState) -> None:
    """Atomic write (temp file + rename): a reader never sees half a state file."""
    tmp = path / f".{STATE_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"pid": state.pid, "host": state.host, "port": state.port}))
    os.replace(tmp, path / STATE_FILE)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited child not yet reaped) still answers kill(0): check /proc where present.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
    return True


def ping(uri: str, timeout_ms: int = 1500) -> bool:
    """True when a MongoDB-speaking server answers `ping` at `uri`."""
    client: MongoClient = MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _is_server_process(pid: int, root: Path) -> bool:
    """The pid runs this module's server for `root` (not a recycled pid of something else)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return True  # no /proc (macOS): the pid check and the ping have to do
    if MODULE not in args or "--path" not in args or args.index("--path") + 1 >= len(args):
        return False
    given = Path(args[args.index("--path") + 1])
    if not given.is_absolute():
        try:
            given = Path(os.readlink(f"/proc/{pid}/cwd")) / given
        except OSError:
            return False
    return given.resolve() == root


def _running(root: Path) -> ServerState | None:
    """The recorded server if its process is alive (answering or not)."""
    state = _read_state(root)
    if state is None or not _pid_alive(state.pid) or not _is_server_process(state.pid, root):
        return None
    return state


def running_uri(path: str | Path) -> str | None:
    """URI of the server recorded under `path` if its process is alive (no ping: cheap)."""
    state = _running(Path(path).resolve())
    return state.uri if state is not None else None


def live_server(path: str | Path) -> ServerState | None:
    """The server recorded under `path` if its process is alive and it answers `ping`."""
    state = _running(Path(path).resolve())
    return state if state is not None and ping(state.uri) else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_server(path: str | Path, timeout_s: float = 60.0) -> str:
    """URI of the embedded server for `path`, starting it (once, across processes) if needed."""
    root = Path(path).resolve()
    root.mkdir(parents=True, exist_ok=True)
    state = live_server(root)
    if state is not None:
        return state.uri
    with _locked(root):
        # Another process may have started it while we waited for the lock.
        state = _running(root)
        if state is not None:
            # Alive but slow to answer: busy (a long bulk write, a loaded machine). Never kill
            # a server other processes may be writing through; wait for it instead.
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and _pid_alive(state.pid):
                if ping(state.uri, timeout_ms=5000):
                    return state.uri
                time.sleep(0.5)
            if _pid_alive(state.pid):
                raise EmbeddedServerError(
                    f"embedded MongoDB server (pid {state.pid}) under {root} runs but did not "
                    f"answer for {timeout_s:.0f} s; stop it with `python -m {MODULE} --stop "
                    f"--path {root}` (log: {root / LOG_FILE})"
                )
        (root / STATE_FILE).unlink(missing_ok=True)
        return _spawn(root, timeout_s).uri


def _spawn(root: Path, timeout_s: float) -> ServerState:
    try:
        import secantus  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise EmbeddedServerError(
            "MONGODB_URI is unset and the embedded server is not installed: "
            "install the 'embedded' extra (SecantusDB) or set MONGODB_URI"
        ) from exc
    env = dict(os.environ)
    project_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (project_root, env.get("PYTHONPATH")) if p)
    with open(root / LOG_FILE, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--path", str(root), "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # detached: survives the run process that started it
            close_fds=True,
            env=env,
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = _read_state(root)
        if state is not None and state.pid == proc.pid and ping(state.uri):
            return state
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if proc.poll() is None:
        _terminate(proc.pid, timeout_s=10.0)
    raise EmbeddedServerError(
        f"embedded MongoDB server under {root} did not start (exit code {proc.poll()}); "
        f"last log lines:\n{_tail(root / LOG_FILE)}"
    )


def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


def _terminate(pid: int, timeout_s: float) -> bool:
    """SIGTERM, wait, SIGKILL as a last resort. True when the process is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    return not _pid_alive(pid)


def stop_server(path: str | Path, timeout_s: float = 30.0) -> bool:
    """Stop the server recorded under `path`. True when one was running."""
    root = Path(path).resolve()
    state = _read_state(root)
    if state is None:
        return False
    running = _pid_alive(state.pid) and _is_server_process(state.pid, root)
    if running:
        _terminate(state.pid, timeout_s)
    (root / STATE_FILE).unlink(missing_ok=True)
    return running


def serve(path: Path, port: int, patched: bool = True) -> None:
    """Run the server in this process until SIGTERM/SIGINT (the detached child's main).

    `patched` applies `server_patches` (the per-document index-list reads removed); False
    runs SecantusDB as shipped, the baseline of benchmarks/serving_writes.py."""
    from secantus import SecantusDBServer

    from analytics_assets.storage.mongo import server_patches

    if patched:
        server_patches.apply()

    path.mkdir(parents=True, exist_ok=True)
    server = SecantusDBServer(
        host=HOST,
        port=port,
        storage_path=str(path / DATA_DIR),
        # Standalone like a plain mongod: no oplog writes per document (faster bulk writes);
        # the platform needs no transactions or change streams.
        replica_set_name=None,
        enable_test_commands=False,
        durable=True,
    )

    def _stop(signum: int, frame: object) -> None:
        server.stop()
        state = _read_state(path)
        if state is not None and state.pid == os.getpid():
            (path / STATE_FILE).unlink(missing_ok=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start()
    host, bound_port = server.address
    _write_state(path, ServerState(pid=os.getpid(), host=host, port=bound_port))
    print(f"embedded MongoDB listening on {host}:{bound_port} (data {path / DATA_DIR})", flush=True)
    threading.Thread(target=_watch_lease, args=(path,), name="lease", daemon=True).start()
    server.wait()


def _watch_lease(path: Path, every_s: float = 5.0) -> None:
    """`server.json` is the server's lease: when it disappears (the data folder was deleted)
    or names another process, stop, instead of running on as an orphan nobody can reach."""
    while True:
        time.sleep(every_s)
        state = _read_state(path)
        if state is None or state.pid != os.getpid():
            print("state file gone or taken over: stopping", flush=True)
            os.kill(os.getpid(), signal.SIGTERM)
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", required=True, help="storage path (MONGO_EMBEDDED_PATH)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--stop", action="store_true", help="stop the server under --path")
    parser.add_argument(
        "--ensure", action="store_true", help="start the server unless running; print its URI"
    )
    parser.add_argument(
        "--unpatched", action="store_true", help="run SecantusDB as shipped (benchmark baseline)"
    )
    args = parser.parse_args(argv)
    path = Path(args.path).resolve()
    if args.stop:
        print("stopped" if stop_server(path) else "not running")
        return 0
    if args.ensure:
        print(ensure_server(path))
        return 0
    serve(path, args.port, patched=not args.unpatched)
    return 0


if __name__ == "__main__":
    sys.exit(main())
