"""sRGB and linear light (the IEC 61966-2-1 transfer functions, both ways), and
how far apart two colours look (CIEDE2000).

Colours are stored and shown in sRGB (0-255) but mixed, lit and averaged in
linear light.
"""

from __future__ import annotations

import warnings

import numpy as np


def srgb_to_linear(rgb) -> np.ndarray:
    """Linear RGB in [0, 1] of sRGB colours given as 0-255 (any shape, last axis RGB)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear) -> np.ndarray:
    """sRGB 0-255 (float, unrounded) of linear RGB (clipped to [0, 1])."""
    c = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return 255.0 * np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def delta_e_2000(rgb_a, rgb_b) -> np.ndarray:
    """CIEDE2000 difference of sRGB colours (0-255, last axis RGB) under D65: about
    1 is the smallest difference people see, 2-3 a close match, 5 a clear one."""
    with warnings.catch_warnings():  # colour-science warns that matplotlib is not installed
        warnings.simplefilter("ignore")
        import colour  # a second's import: only where colours are compared

    def lab(rgb):
        return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(np.asarray(rgb, np.float64) / 255.0))

    return np.asarray(colour.delta_E(lab(rgb_a), lab(rgb_b), method="CIE 2000"))
