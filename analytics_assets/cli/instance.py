"""The Dagster instance folder of the command line, made the way `make` makes it.

`make` exports `DAGSTER_HOME=./.dagster` and copies the committed instance file chosen by
`ANALYTICS_INSTANCE` (`dagster.yaml` or `deploy/dagster.postgres.yaml`) there. A user who runs
`analytics-assets run` straight from `.venv/bin` (as the README shows) gets the same folder and
the same instance file instead of a `DagsterHomeNotSetError`. A `DAGSTER_HOME` that is set is
used as it is: its `dagster.yaml` belongs to whoever set it.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from analytics_assets.settings import PROJECT_ROOT, Settings

INSTANCE_FILES = {
    "local": PROJECT_ROOT / "dagster.yaml",
    "postgres": PROJECT_ROOT / "deploy" / "dagster.postgres.yaml",
}


def ensure_dagster_home(settings: Settings, cwd: Path | None = None) -> Path:
    """The instance folder to use, created with its instance file when `DAGSTER_HOME` is unset.

    Unset: `<cwd>/.dagster`, with the committed file for `ANALYTICS_INSTANCE` copied in when
    missing or different (as `make instance` does). The caller opens the instance from this
    folder (`DagsterInstance.from_config`), so nothing depends on the environment variable.
    """
    if settings.dagster_home:
        return Path(settings.dagster_home)
    home = (cwd or Path.cwd()) / ".dagster"
    home.mkdir(parents=True, exist_ok=True)
    source = INSTANCE_FILES[settings.instance]
    target = home / "dagster.yaml"
    if source.exists() and not (target.exists() and filecmp.cmp(source, target, shallow=False)):
        shutil.copyfile(source, target)
    return home
