"""Fixtures for the garments tests: mannequins and a tube garment on them."""

from __future__ import annotations

import pytest

from tests.garments.garment_files import torso_tube


@pytest.fixture(scope="session")
def mannequin_m():
    from garments.mannequin import mannequin_mesh

    return mannequin_mesh("women", "M")


@pytest.fixture(scope="session")
def tube(mannequin_m):
    """(vertices (N, 3) m, faces (F, 3)) 1.5 cm outside the women's M torso."""
    return torso_tube(mannequin_m)
