"""Fabric presets: the physical quantities the cloth solver needs.

The quantities, and their names, are those of
``tryon.cloth.fabric.FabricParams`` (``FabricParams(**preset.quantities())``):
per unit of cloth rather than per mesh edge, so they do not depend on the
garment's triangle size.

- stretch_compliance, m/N: 1 / membrane tensile stiffness. The stiffness
  (N/m) is the force per metre of width that stretches the cloth by 100 %,
  i.e. Young's modulus times thickness.
- bend_compliance, 1/(N·m): 1 / bending rigidity. The rigidity (N·m) is the
  moment per metre of width per unit curvature (KES-F B; 1 gf·cm²/cm is
  9.81e-5 N·m).
- density, kg/m²: areal density, the fabric weight (200 g/m² is 0.2).
- friction: Coulomb coefficient against skin, no unit.
- max_strain: largest stretch the cloth allows before it locks, as a
  fraction (0.05 is 5 %).
- thickness, m: also the collision margin from the body.
- weft_ratio, shear_ratio: the stretch compliance across the grain (the
  weft, or a knit's courses) and in shear, over the compliance along it (the
  warp): where a garment's grain is known (one sewn from a pattern), an edge
  at angle t to the warp stretches as cos^4 t + weft_ratio sin^4 t +
  shear_ratio sin^2 t cos^2 t times the warp (1 and 2: the same every way).
  A woven cloth's shear rigidity (KES-F G, about 1 gf/cm/degree) is far
  below its tensile stiffness, so it gives most on the bias; a knit gives
  most across.

Values are typical of each kind of cloth (fabric weights as sold; bending
and tensile stiffness of the order KES-F measurements report); they are
starting points to tune against photographs, not measurements of one bolt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FabricPreset:
    """One preset; see the module docstring for units."""

    name: str
    label: str
    stretch_compliance: float  # m/N
    bend_compliance: float  # 1/(N·m)
    density: float  # kg/m², areal
    friction: float
    max_strain: float
    thickness: float  # m
    weft_ratio: float
    shear_ratio: float

    def as_dict(self) -> dict:
        return asdict(self)

    def quantities(self) -> dict[str, float]:
        """The physical quantities alone, named as the solver names them."""
        return {k: v for k, v in asdict(self).items() if k not in ("name", "label")}


def _preset(name, label, tensile_n_per_m, bending_n_m, grams_per_m2, friction, max_strain,
            thickness_mm, weft_ratio, shear_ratio) -> FabricPreset:
    """A preset from the numbers a fabric datasheet gives."""
    return FabricPreset(
        name=name, label=label, stretch_compliance=1.0 / tensile_n_per_m,
        bend_compliance=1.0 / bending_n_m, density=grams_per_m2 / 1000.0,
        friction=friction, max_strain=max_strain, thickness=thickness_mm / 1000.0,
        weft_ratio=weft_ratio, shear_ratio=shear_ratio)


FABRICS: dict[str, FabricPreset] = {p.name: p for p in (
    # T-shirt single jersey, cotton/elastane: soft, stretchy.
    _preset("jersey", "Jersey", 150.0, 3.0e-6, 180.0, 0.45, 0.35, 0.6, 2.5, 6.0),
    # Shirting poplin: light, crisp, barely stretches.
    _preset("woven-cotton", "Woven cotton", 3000.0, 8.0e-6, 130.0, 0.40, 0.05, 0.3, 1.3, 30.0),
    # 12 oz rigid denim: heavy and stiff.
    _preset("denim", "Denim", 15000.0, 1.0e-4, 400.0, 0.50, 0.04, 0.8, 1.5, 30.0),
    # Silk or polyester satin: light, limp, slippery.
    _preset("silk-like", "Silk-like", 1500.0, 2.0e-6, 70.0, 0.20, 0.06, 0.15, 1.2, 20.0),
    # Knitted sweater: thick, heavy, very stretchy.
    _preset("knit", "Knit", 300.0, 1.5e-5, 300.0, 0.55, 0.40, 1.8, 2.0, 5.0),
    # Cotton velvet: a pile weave, heavy, soft to bend, barely stretches.
    _preset("velvet", "Velvet", 1000.0, 4.0e-5, 280.0, 0.60, 0.06, 1.5, 1.3, 15.0),
)}


@dataclass(frozen=True)
class FabricLook:
    """How a fabric looks, in glTF's PBR terms: roughness 0-1 (0 mirror); sheen
    0-1, the strength of the soft rim light of a pile or fuzzy yarn
    (``KHR_materials_sheen``; 0: none); sheen_roughness 0-1, how wide that rim is."""

    roughness: float
    sheen: float = 0.0
    sheen_roughness: float = 0.0


# Each fabric's look. Woven cotton and jersey are matte; satin is glossy;
# knit yarn and velvet pile scatter light at grazing angles, which is what
# sheen models (the values of Khronos' SheenCloth and velvet samples' range).
LOOKS: dict[str, FabricLook] = {
    "jersey": FabricLook(roughness=0.85),
    "woven-cotton": FabricLook(roughness=0.8),
    "denim": FabricLook(roughness=0.9),
    "silk-like": FabricLook(roughness=0.35),
    "knit": FabricLook(roughness=0.95, sheen=0.5, sheen_roughness=0.7),
    "velvet": FabricLook(roughness=0.9, sheen=1.0, sheen_roughness=0.35),
}


def fabric(name: str) -> FabricPreset:
    """The preset called ``name``; ValueError naming the presets otherwise."""
    try:
        return FABRICS[name]
    except KeyError:
        raise ValueError(f"unknown fabric {name!r}; fabrics are {', '.join(FABRICS)}") from None
