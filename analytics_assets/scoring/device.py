"""Pick the JAX device for scoring at run time: `SCORING_DEVICE=auto|cpu|gpu`.

`auto` takes a GPU when JAX sees one and the CPU otherwise, so the same code and the same
defaults work on a laptop and on a GPU node; `gpu` fails loudly when there is none rather than
silently running a backfill on the CPU.
"""

from __future__ import annotations

import os

import jax

DEVICE_CHOICES = ("auto", "cpu", "gpu")


def _gpus() -> list[jax.Device]:
    try:
        return list(jax.devices("gpu"))
    except RuntimeError:
        return []


def select_device(preference: str | None = None) -> jax.Device:
    """The device to score on; `preference` defaults to `SCORING_DEVICE` (then `auto`)."""
    choice = (preference or os.environ.get("SCORING_DEVICE", "") or "auto").strip().lower()
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
