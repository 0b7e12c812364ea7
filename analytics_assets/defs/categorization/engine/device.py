"""Pick the JAX device for scoring at run time: `SCORING_DEVICE=auto|cpu|gpu`.

`auto` takes a GPU when JAX sees one and the CPU otherwise, so the same code and the same
defaults work on a laptop and on a GPU node; `gpu` fails loudly when there is none rather than
silently running a backfill on the CPU.

Compiled kernels are kept in JAX's persistent compilation cache (`SCORING_COMPILE_CACHE_DIR`):
every Dagster run is a new process, and compiling the bucket shapes costs 13-17 s on the 2-core
development machine against about 3 s to load them back (`benchmarks/README.md`). The cache key
is the compiled program itself (the taxonomy's tables are constants in it), the JAX version and
the device, so a changed taxonomy or another device never reads a stale entry.
"""

from __future__ import annotations

from pathlib import Path

import jax

DEVICE_CHOICES = ("auto", "cpu", "gpu")


def _gpus() -> list[jax.Device]:
    try:
        return list(jax.devices("gpu"))
    except RuntimeError:
        return []


def select_device(preference: str | None = None) -> jax.Device:
    """The device to score on (`auto`, `cpu` or `gpu`; None means `auto`)."""
    choice = (preference or "auto").strip().lower()
    if choice not in DEVICE_CHOICES:
        raise ValueError(f"SCORING_DEVICE must be one of {DEVICE_CHOICES}, got {choice!r}")
    if choice == "cpu":
        return jax.devices("cpu")[0]
    gpus = _gpus()
    if choice == "gpu":
        if not gpus:
            raise RuntimeError("SCORING_DEVICE=gpu but JAX sees no GPU (install jax[cuda12])")
        return gpus[0]
    return gpus[0] if gpus else jax.devices("cpu")[0]


def describe(device: jax.Device) -> str:
    """Short text for metadata and logs, e.g. `cpu:0` or `gpu:0 (NVIDIA H100)`."""
    kind = getattr(device, "device_kind", "")
    text = f"{device.platform}:{device.id}"
    return f"{text} ({kind})" if kind and device.platform != "cpu" else text


COMPILE_CACHE_OFF = ("off", "none", "false", "0")


def compile_cache_dir(setting: str | None = None, cache_home: str | None = None) -> Path | None:
    """Where compiled kernels are cached; None when the setting is `off`.

    None or empty means `<cache_home>/analytics-assets/jax` (`cache_home` defaults to
    `~/.cache`), outside the checkout like the NocoDB test install, so a fresh clone reuses it.
    """
    value = (setting or "").strip()
    if value.lower() in COMPILE_CACHE_OFF:
        return None
    if value:
        return Path(value).expanduser()
    return Path(cache_home or Path.home() / ".cache") / "analytics-assets" / "jax"


def enable_compile_cache(setting: str | None = None) -> Path | None:
    """Point JAX's persistent compilation cache at `compile_cache_dir`; returns the folder.

    Every compiled kernel is kept (JAX's default only keeps programs that took over a second
    to compile, and the small bucket shapes take less). The first call in a process decides:
    JAX opens the cache at its first compilation and keeps that folder for the process.
    """
    folder = compile_cache_dir(setting)
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder
