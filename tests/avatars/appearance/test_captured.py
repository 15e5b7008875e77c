"""A twin's captured appearance as stored bytes, and the reference an avatar carries."""

from __future__ import annotations

import numpy as np
import pytest

from avatars.appearance.captured import Appearance, AppearanceError, CapturedAppearance, appearance_digest

pytestmark = pytest.mark.slow  # the prepared body model


def test_the_arrays_come_back_as_stored_and_are_checked_against_the_model(anny_model):
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    displacement = rng.normal(0, 0.003, anny_model.vertex_count).astype(np.float32)
    data = CapturedAppearance("anny", texture, displacement).to_bytes()
    back = CapturedAppearance.from_bytes(data)
    assert np.array_equal(back.texture, texture) and np.array_equal(back.displacement_m, displacement)
    assert np.array_equal(back.skin(anny_model, 4).image, texture)
    assert np.array_equal(back.displacement(anny_model), displacement)

    shape_only = CapturedAppearance.from_bytes(CapturedAppearance("anny", None, displacement).to_bytes())
    assert shape_only.texture is None
    painted = shape_only.skin(anny_model, 4)
    assert painted is not None and not np.array_equal(painted.image[:8, :8], texture[:8, :8])

    with pytest.raises(AppearanceError, match="vertices"):
        CapturedAppearance("anny", None, displacement[:-1]).displacement(anny_model)
    with pytest.raises(AppearanceError, match="layout"):
        CapturedAppearance("anny", texture[:512, :512], None).skin(anny_model, 4)


def test_an_appearance_is_named_by_its_digest_and_refuses_other_bytes():
    data = CapturedAppearance("anny", None, np.zeros(10, np.float32)).to_bytes()
    reads = []

    def read():
        reads.append(1)
        return data

    first, second = Appearance(appearance_digest(data), read), Appearance(appearance_digest(data), bytes)
    assert first == second and hash(first) == hash(second)
    first.load()
    second.load()  # kept by digest: read once
    assert len(reads) == 1
    other = CapturedAppearance("anny", None, np.ones(10, np.float32)).to_bytes()
    with pytest.raises(AppearanceError, match="digest"):
        Appearance(appearance_digest(data + b"x"), lambda: other).load()
