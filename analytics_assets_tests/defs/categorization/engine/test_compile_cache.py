"""The persistent compilation cache: a second process loads the kernels the first compiled.

Each case runs in a fresh interpreter, because JAX opens its cache once per process (at the
first compilation) and the test process has compiled kernels long before these tests run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from analytics_assets.defs.categorization.engine.device import compile_cache_dir
from analytics_assets.defs.categorization.resource import compile_cache_dir_setting
from analytics_assets.settings import get_settings

SCRIPT = """
import json
from analytics_assets.defs.categorization.resource import ScoringResource
configured = ScoringResource.from_settings()
cat = ScoringResource(device="cpu", compile_cache_dir=configured.compile_cache_dir).categorizer()
out = cat.categorize(["My deposit is missing!", "ฝากเงินไม่เข้า", "thanks :)"])
print(json.dumps({"cache": str(cat.compile_cache), "labels": out["topic"].to_list()}))
"""


def _run(cache_setting: str, home: Path) -> dict[str, object]:
    env = {**os.environ, "SCORING_COMPILE_CACHE_DIR": cache_setting, "HOME": str(home)}
    env.pop("XDG_CACHE_HOME", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_second_process_reads_the_kernels_the_first_wrote(tmp_path: Path) -> None:
    cache = tmp_path / "jax-cache"
    first = _run(str(cache), tmp_path)
    entries = sorted(p.name for p in cache.iterdir())
    assert first["cache"] == str(cache)
    assert any(name.startswith("jit_run") for name in entries), entries
    second = _run(str(cache), tmp_path)
    # Same labels from the cached programs, and no new program was compiled and stored.
    assert second["labels"] == first["labels"] == ["payments", "payments", "other"]
    assert sorted(p.name for p in cache.iterdir()) == entries


def test_off_writes_nothing(tmp_path: Path) -> None:
    result = _run("off", tmp_path)
    assert result["cache"] == "None"
    assert not (tmp_path / ".cache").exists()


def test_default_folder_is_outside_the_checkout(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SCORING_COMPILE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    configured = compile_cache_dir(compile_cache_dir_setting(get_settings()))
    assert configured == tmp_path / "analytics-assets" / "jax"
    assert compile_cache_dir("OFF") is None
    assert compile_cache_dir("~/k") == Path.home() / "k"
