"""The fabric the cloth solver is given: its mechanical quantities, along the grain and
across it, and kept clear of the base outfit.

``FabricParams`` holds a fabric's quantities in SI units (``garments.fabrics``
gives presets of them). Every garment is worn over the base outfit
(``garments.base_outfit``), so the solver keeps its cloth at least
MIN_CLEARANCE_M off the skin, whatever the fabric's own thickness
(``solver_fabric``); draping and sewing use the same numbers, so a garment sewn
on a mannequin lies there as a drape on that mannequin would leave it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from garments.base_outfit import BASE_OFFSET_M
from garments.fabrics import fabric as fabric_preset
from tryon.cloth.topology import ClothTopology

MIN_CLEARANCE_M = BASE_OFFSET_M + 0.002


@dataclass(frozen=True)
class FabricParams:
    """Mechanical properties of a fabric, in SI units.

    stretch_compliance: m/N, the inverse of the in-plane stretch stiffness
        (force per metre of width at 100 % strain). 1e-3 is 1000 N/m, a
        woven cotton; jersey and knits are softer, denim stiffer.
    bend_compliance: 1/(N m), the inverse of the bending rigidity. 1e5 is
        1e-5 N m, a shirting; silk-like ~1e6, denim ~1e4.
    density: kg/m^2, areal density (jersey ~0.18, denim ~0.4).
    friction: Coulomb coefficient against the body (skin or base layer).
    max_strain: strain limit; no edge ends longer than (1 + max_strain) times
        its rest length unless the body forces it (collision always wins).
    thickness: m, the gap kept between the body surface and the cloth.
    weft_ratio, shear_ratio: a woven or knitted fabric's stretch compliance across
        the grain (weft) and in shear, over ``stretch_compliance`` along it (warp).
        Where the mesh knows the grain (``ClothTopology.edge_grain``), an edge at
        angle t to the warp is a spring of compliance stretch_compliance * (cos^4 t
        + weft_ratio sin^4 t + shear_ratio sin^2 t cos^2 t): the compliance of an
        orthotropic membrane along t, Poisson's ratio taken as 0. 1 and 2 are
        isotropic; a woven cloth stretches most on the bias (45 degrees).
    """

    stretch_compliance: float = 1.0e-3
    bend_compliance: float = 1.0e5
    density: float = 0.2
    friction: float = 0.5
    max_strain: float = 0.1
    thickness: float = 1.0e-3
    weft_ratio: float = 1.0
    shear_ratio: float = 2.0

    def __post_init__(self):
        if min(self.stretch_compliance, self.bend_compliance, self.density, self.max_strain,
               self.weft_ratio, self.shear_ratio) <= 0.0:
            raise ValueError("compliances, density and max_strain must be positive")
        if self.friction < 0.0 or self.thickness < 0.0:
            raise ValueError("friction and thickness must not be negative")


def solver_fabric(name: str) -> FabricParams:
    """The solver's fabric of the preset ``name``: its quantities, its thickness at least
    ``MIN_CLEARANCE_M``."""
    preset = fabric_preset(name).quantities()
    return FabricParams(**{**preset, "thickness": max(preset["thickness"], MIN_CLEARANCE_M)})


def grain_scale(topology: ClothTopology, fabric: FabricParams) -> np.ndarray | float:
    """(E,) each edge's stretch compliance over the warp's, by its angle to the grain
    (``FabricParams``); 1 where the grain is not known."""
    if topology.edge_grain is None:
        return 1.0
    across, along = topology.edge_grain[:, 0] ** 2, topology.edge_grain[:, 1] ** 2
    return along**2 + fabric.weft_ratio * across**2 + fabric.shear_ratio * across * along
