"""`ScoringResource`: the categorization engine as a Dagster resource.

Holds the configuration (device, taxonomy file, learned-weights file, batch size) and hands
out the process-wide `Categorizer` for it, so the vocabulary is loaded and the JAX kernels are
compiled once per process, not once per partition. Defaults come from the environment
(`settings.Settings`, documented in `.env.example`).
"""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from analytics_assets.defs.categorization.engine import Categorizer, get_categorizer
from analytics_assets.defs.categorization.engine.device import (
    COMPILE_CACHE_OFF,
    DEVICE_CHOICES,
    compile_cache_dir,
)
from analytics_assets.settings import Settings, get_settings


def compile_cache_dir_setting(settings: Settings) -> str:
    """The compile-cache folder the settings name: `SCORING_COMPILE_CACHE_DIR`, else
    `$XDG_CACHE_HOME/analytics-assets/jax` (else `~/.cache/...`), outside the checkout like the
    NocoDB test install, so a fresh clone reuses it; `off` keeps it off."""
    folder = compile_cache_dir(
        settings.scoring_compile_cache_dir or None, cache_home=settings.xdg_cache_home or None
    )
    return COMPILE_CACHE_OFF[0] if folder is None else str(folder)


class ScoringResource(ConfigurableResource):
    """Device (`auto`|`cpu`|`gpu`), taxonomy YAML and weights `.npz` (empty: packaged rules)."""

    device: str = Field(default="auto", description="auto | cpu | gpu (SCORING_DEVICE)")
    taxonomy_path: str = Field(
        default="", description="Taxonomy YAML; empty = packaged default (CATEGORIZER_TAXONOMY)"
    )
    weights_path: str = Field(
        default="", description="Learned weights .npz from fit-categorizer (CATEGORIZER_WEIGHTS)"
    )
    batch_size: int = Field(default=2048, description="Rows per JAX batch (SCORING_BATCH_SIZE)")

    compile_cache_dir: str = Field(
        default="",
        description="JAX compile cache folder; empty = ~/.cache/analytics-assets/jax, off = none "
        "(SCORING_COMPILE_CACHE_DIR)",
    )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> ScoringResource:
        s = settings or get_settings()
        return cls(
            device=s.scoring_device,
            taxonomy_path=s.taxonomy_path,
            weights_path=s.weights_path,
            batch_size=s.scoring_batch_size,
            compile_cache_dir=compile_cache_dir_setting(s),
        )

    def categorizer(self) -> Categorizer:
        """The loaded engine for this configuration (cached per process)."""
        if self.device not in DEVICE_CHOICES:
            raise ValueError(f"device must be one of {DEVICE_CHOICES}, got {self.device!r}")
        return get_categorizer(
            self.taxonomy_path,
            self.device,
            self.weights_path,
            int(self.batch_size),
            self.compile_cache_dir,
        )
