"""The visible digital-replica label: across the bottom, readable, fitted to small images."""

from __future__ import annotations

import numpy as np
import pytest

from tryon.render.disclosure import draw_disclosure

BACKGROUND = (230, 225, 215, 255)


@pytest.mark.parametrize("width, height", [(512, 768), (128, 192), (64, 96)])
def test_a_dark_band_with_white_text_across_the_bottom_and_nothing_else(width, height):
    image = np.full((height, width, 4), BACKGROUND, np.uint8)
    labelled = draw_disclosure(image)
    assert labelled.shape == image.shape and labelled.dtype == np.uint8
    changed = np.abs(labelled.astype(int) - image).sum(axis=2) > 0
    rows = np.flatnonzero(changed.any(axis=1))
    assert height - rows.min() <= max(0.06 * height, 18) and rows.max() == height - 1  # a bottom band
    band = labelled[rows.min():]
    assert (band[..., :3].max(axis=2) < 80).mean() > 0.5  # mostly dark
    text = band[..., :3].min(axis=2) > 200
    assert text.any(), "no legible (white) text in the band"
    columns = np.flatnonzero(text.any(axis=0))
    assert columns.min() > 0 and columns.max() < width - 1  # not cut at either edge
    assert np.array_equal(labelled[: rows.min()], image[: rows.min()])
