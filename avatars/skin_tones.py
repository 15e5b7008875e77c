"""The Monk Skin Tone scale (Google, CC-BY-4.0): ten tones, 1 lightest."""

from __future__ import annotations

# sRGB hex of each Monk Skin Tone swatch, tone 1 to 10.
MONK_SKIN_TONES = {
    1: "#f6ede4", 2: "#f3e7db", 3: "#f7ead0", 4: "#eadaba", 5: "#d7bd96",
    6: "#a07e56", 7: "#825c43", 8: "#604134", 9: "#3a312a", 10: "#292420",
}


def skin_rgb(tone: int) -> tuple[int, int, int]:
    """sRGB (0-255) of Monk tone 1-10."""
    if tone not in MONK_SKIN_TONES:
        raise ValueError(f"skin tone must be a Monk Skin Tone 1-10, got {tone!r}")
    hex_colour = MONK_SKIN_TONES[tone].lstrip("#")
    return tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
