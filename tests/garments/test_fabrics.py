"""Fabric presets."""

from __future__ import annotations

import pytest

from garments.fabrics import FABRICS, fabric


def test_presets_are_physical():
    assert set(FABRICS) == {"jersey", "woven-cotton", "denim", "silk-like", "knit",
                            "velvet"}
    for preset in FABRICS.values():
        values = preset.quantities()
        assert set(values) == {"stretch_compliance", "bend_compliance", "density", "friction",
                               "max_strain", "thickness", "weft_ratio", "shear_ratio"}
        assert all(v > 0 for v in values.values())
        assert 0.03 <= preset.density <= 0.6  # kg/m²: 30-600 g/m²
        assert preset.thickness < 0.005 and preset.friction < 1 and preset.max_strain < 1
    # Denim is heavier, stiffer and less stretchy than jersey; silk the most slippery.
    assert fabric("denim").density > fabric("jersey").density
    assert fabric("denim").bend_compliance < fabric("jersey").bend_compliance
    assert fabric("denim").stretch_compliance < fabric("jersey").stretch_compliance
    assert fabric("silk-like").friction == min(p.friction for p in FABRICS.values())
    # woven cloth gives most on the bias (shear far above isotropic 2), knits across (weft)
    for woven in ("woven-cotton", "denim", "silk-like", "velvet"):
        assert fabric(woven).shear_ratio >= 10 and fabric(woven).weft_ratio < fabric("jersey").weft_ratio


def test_unknown_fabric_names_the_presets():
    with pytest.raises(ValueError, match="jersey, woven-cotton"):
        fabric("tweed")
