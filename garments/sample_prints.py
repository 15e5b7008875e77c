"""The prints of the sample garments' colorways: woven patterns drawn by code.

The sample garments are sewn from patterns, their UVs in metres of fabric
(``tryon.sewing.garment_files``): u across the grain, v along it, so a tile
(u and v 0-1) is one metre square of fabric, and a print lies on every piece
as it would on the cloth it was cut from. Images are PNG bytes, 8-bit RGB.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

TILE_PX = 1024


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def gingham(colour: tuple[int, int, int], checks_per_metre: int = 40) -> bytes:
    """Gingham: white and ``colour`` bands crossing, the crossings darker, 2.5 cm
    checks; a faint weave keeps it from looking printed."""
    u = np.arange(TILE_PX) * checks_per_metre // TILE_PX % 2
    v = np.arange(TILE_PX) * checks_per_metre // TILE_PX % 2
    cover = (u[None, :] + v[:, None]) / 2.0  # 0 white, 0.5 one band, 1 both bands
    white, ink = np.array([246.0, 244, 238]), np.array(colour, dtype=float)
    rgb = white + (ink - white) * cover[..., None]
    return _png(rgb * _weave()[..., None])


def breton(colour: tuple[int, int, int], stripe_cm: float = 1.0, gap_cm: float = 2.0) -> bytes:
    """Breton stripes: ``colour`` stripes ``stripe_cm`` deep every
    ``stripe_cm + gap_cm`` on ecru, horizontal on the body."""
    height_cm = np.arange(TILE_PX)[::-1] * 100.0 / TILE_PX  # v = 1 is 1 m; image rows run down
    stripe = (height_cm % (stripe_cm + gap_cm)) < stripe_cm
    ecru, ink = np.array([240.0, 236, 226]), np.array(colour, dtype=float)
    rgb = np.where(stripe[:, None, None], ink, ecru) * np.ones((1, TILE_PX, 1))
    return _png(rgb * _weave()[..., None])


def _weave() -> np.ndarray:
    """(TILE_PX, TILE_PX) brightness 0.94-1: threads every two pixels, both ways."""
    rows = 0.97 + 0.03 * np.cos(np.arange(TILE_PX) * np.pi)
    return rows[:, None] * rows[None, :]
