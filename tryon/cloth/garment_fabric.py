"""The fabric the solver is given for a garment: its preset, kept clear of the base outfit.

Every garment is worn over the base outfit (``garments.base_outfit``), so the
solver keeps its cloth at least MIN_CLEARANCE_M off the skin, whatever the
fabric's own thickness. Draping and sewing use the same numbers, so a garment
sewn on a mannequin lies there as a drape on that mannequin would leave it.
"""

from __future__ import annotations

from garments.base_outfit import BASE_OFFSET_M
from garments.fabrics import fabric as fabric_preset
from tryon.cloth.solver import FabricParams

MIN_CLEARANCE_M = BASE_OFFSET_M + 0.002


def solver_fabric(name: str) -> FabricParams:
    """The solver's fabric of the preset ``name``: its quantities, its thickness at least
    ``MIN_CLEARANCE_M``."""
    preset = fabric_preset(name).quantities()
    return FabricParams(**{**preset, "thickness": max(preset["thickness"], MIN_CLEARANCE_M)})
