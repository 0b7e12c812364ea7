"""docker-compose.yml and the Dockerfile are right without a Docker engine (none runs here).

What can be checked by reading, against the repository and the lock: every service's command
exists in its image, every variable the compose file uses is documented in `.env.example`,
host ports do not clash, every service has a healthcheck and its named volumes are declared,
and every file the Dockerfile copies exists.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from analytics_assets.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
APP_DAGSTER_HOME = "/opt/dagster/home-postgres"

# Commands the third-party images ship (their entrypoints and tools, from the images' docs).
IMAGE_COMMANDS = {
    "postgres": {"postgres", "pg_isready"},
    "redis": {"redis-server", "redis-cli"},
    "rabbitmq": {"rabbitmq-server", "rabbitmq-diagnostics"},
    "mongo": {"mongod", "mongosh"},
    "minio/minio": {"server", "mc"},  # `server` is an argument of the minio entrypoint
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def documented_keys() -> set[str]:
    """Keys of `.env.example`, set (`KEY=`) or documented commented out (`# KEY=`)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", text, flags=re.M))


def _argv(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else shlex.split(value)


def _healthcheck_argv(service: dict[str, Any]) -> list[str]:
    test = _argv(service["healthcheck"]["test"])
    assert test[0] in {"CMD", "CMD-SHELL"}, test
    return test[1:] if test[0] == "CMD" else shlex.split(test[1])


def _is_app(service: dict[str, Any]) -> bool:
    return "build" in service


def _check_app_command(argv: list[str], cli_commands: set[str]) -> None:
    """A command run inside our image: a console script of the lock, with valid arguments."""
    program = argv[0]
    if program == "python":
        return
    assert (BIN / program).exists(), f"{program} is not installed by requirements.txt"
    if program == "analytics-assets":
        assert argv[1] in cli_commands, f"analytics-assets has no sub-command {argv[1]!r}"
        build_parser().parse_args(argv[1:])  # exits (SystemExit) on bad arguments
    if "-w" in argv:
        workspace = argv[argv.index("-w") + 1]
        assert (ROOT / workspace).exists()
        assert workspace in (ROOT / "Dockerfile").read_text(), f"{workspace} not in the image"
    if program == "celery" and "-A" in argv:
        assert importlib.util.find_spec(argv[argv.index("-A") + 1]) is not None


def _cli_commands() -> set[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


def test_every_command_exists_in_its_image(compose: dict[str, Any]) -> None:
    cli = _cli_commands()
    for name, service in compose["services"].items():
        commands = []
        if "command" in service:
            commands.append(_argv(service["command"]))
        if "healthcheck" in service:
            commands.append(_healthcheck_argv(service))
        if _is_app(service):
            if name == "api" and "serve" not in cli:
                # The HTTP API is merged separately: until `serve` exists, the service must not
                # start by default.
                assert service.get("profiles") == ["api"], "api must stay behind its profile"
                continue
            for argv in commands:
                _check_app_command(argv, cli)
        else:
            image = service["image"].split(":")[0]
            assert image in IMAGE_COMMANDS, f"{name}: unknown image {image}"
            for argv in commands:
                assert argv[0] in IMAGE_COMMANDS[image], f"{name}: {argv[0]} not in {image}"


def test_daemon_liveness_check_is_a_daemon_command() -> None:
    out = subprocess.run(
        [str(BIN / "dagster-daemon"), "--help"], capture_output=True, text=True, timeout=120
    )
    assert "liveness-check" in out.stdout, out.stdout + out.stderr


def test_every_variable_is_documented(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert used, "the compose file takes its configuration from the environment"
    missing = sorted(used - documented_keys())
    assert not missing, f"used in docker-compose.yml, not in .env.example: {missing}"
    # Every variable set for the app services is a key the code or Dagster reads.
    app_env = compose["services"]["webserver"]["environment"]
    assert not sorted(set(app_env) - documented_keys())


def test_host_ports_do_not_clash(compose: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            host = str(mapping).rsplit(":", 1)[0]
            assert host not in seen, f"host port {host}: {seen.get(host)} and {name}"
            seen[host] = name
    assert {"3000"} <= set(seen)


def test_healthchecks_volumes_and_dependencies(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used: set[str] = set()
    for name, service in compose["services"].items():
        if name != "api":
            assert "healthcheck" in service, f"{name} has no healthcheck"
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
        for dep in service.get("depends_on", {}):
            assert dep in compose["services"], f"{name} depends on unknown {dep}"
            assert "profiles" not in compose["services"][dep], f"{name} needs optional {dep}"
        if _is_app(service):
            env = service["environment"]
            assert env["DAGSTER_HOME"] == APP_DAGSTER_HOME
            assert env["ANALYTICS_INSTANCE"] == "postgres"
            assert service["env_file"] == ".env"
    assert used == declared, f"declared but unused volumes: {declared - used}"
    for base in ("postgres", "redis", "webserver", "daemon", "worker-default", "worker-scoring"):
        assert "profiles" not in compose["services"][base], f"{base} must start by default"
    for optional in ("rabbitmq", "mongo", "minio"):
        assert compose["services"][optional]["profiles"] == [optional]


def test_dockerfile_copies_what_exists_and_runs_installed_commands() -> None:
    text = (ROOT / "Dockerfile").read_text()
    copies = re.findall(r"^COPY\s+(.+)$", text, flags=re.M)
    assert copies
    for line in copies:
        *sources, target = shlex.split(line)
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
        if target.endswith("dagster.yaml"):
            assert sources[0] in {"dagster.yaml", "deploy/dagster.postgres.yaml"}
    assert f"{APP_DAGSTER_HOME}/dagster.yaml" in text
    cmd = re.search(r"^CMD\s+(\[.*\])$", text, flags=re.M)
    assert cmd is not None
    shell = yaml.safe_load(cmd.group(1))[-1]
    for part in re.split(r"&&|&|;", shell):
        program = shlex.split(part.replace("exec ", ""))[0]
        assert (BIN / program).exists(), f"Dockerfile CMD runs {program}, not installed"
    pins = (ROOT / "requirements.txt").read_text()
    assert "dagster-celery==0.29.27" in pins and "dagster-postgres==0.29.27" in pins
