"""`ScoringResource`: the categorization engine as a Dagster resource.

Holds the configuration (device, taxonomy file, learned-weights file, batch size) and hands
out the process-wide `Categorizer` for it, so the vocabulary is loaded and the JAX kernels are
compiled once per process, not once per partition. Defaults come from the environment
(`settings.scoring_settings`, documented in `.env.example`).
"""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from analytics_assets.defs.categorization.engine import Categorizer, get_categorizer
from analytics_assets.defs.categorization.engine.device import DEVICE_CHOICES
from analytics_assets.settings import scoring_settings


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

    @classmethod
    def from_settings(cls) -> ScoringResource:
        cfg = scoring_settings()
        return cls(
            device=cfg.device,
            taxonomy_path=cfg.taxonomy_path,
            weights_path=cfg.weights_path,
            batch_size=cfg.batch_size,
        )

    def categorizer(self) -> Categorizer:
        """The loaded engine for this configuration (cached per process)."""
        if self.device not in DEVICE_CHOICES:
            raise ValueError(f"device must be one of {DEVICE_CHOICES}, got {self.device!r}")
        return get_categorizer(
            self.taxonomy_path, self.device, self.weights_path, int(self.batch_size)
        )
