"""The visible label on an image of a real person's digital twin.

Under the EU AI Act's transparency rules (Article 50(4)), an image that
resembles an existing person and was generated must say so visibly where
it is shown; content credentials (C2PA, XMP) say it to machines, this says
it to people. Renders of twins carry the label by default (``label=0``
turns it off where the page shows its own, as the widget does); other
renders can ask for it (``label=1``).

The label is a band across the bottom of the image: white text on a dark,
slightly translucent strip, sized to the image (a fortieth of its height,
at least 9 px) and shortened to fit its width.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TWIN_LABEL = "Digital replica of a real person \u00b7 made with consent"
SHORT_LABEL = "Digital replica \u00b7 with consent"
SHORTEST_LABEL = "Digital replica"
_BAND_RGBA = (20, 20, 20, 200)


def draw_disclosure(rgba: np.ndarray, text: str = TWIN_LABEL) -> np.ndarray:
    """(H, W, 4) uint8 with the label drawn across its bottom; a copy."""
    image = Image.fromarray(rgba)
    height, width = image.height, image.width
    size = max(9, height // 40)
    label, font = _fitted(text, width, size)
    band = int(size * 1.9)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle([0, height - band, width, height], fill=_BAND_RGBA)
    draw.text((width / 2, height - band / 2), label, font=font, anchor="mm",
              fill=(255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(image.convert("RGBA"), overlay))


def _fitted(text: str, width: int, size: int):
    """(label, font): the longest label that fits 94 % of the width at ``size`` px,
    else the shortest, shrunk until it fits (6 px at the least)."""
    font = ImageFont.load_default(size=size)
    for label in (text, SHORT_LABEL, SHORTEST_LABEL):
        if font.getlength(label) <= 0.94 * width:
            return label, font
    shrunk = max(6, int(size * 0.94 * width / font.getlength(SHORTEST_LABEL)))
    return SHORTEST_LABEL, ImageFont.load_default(size=shrunk)
