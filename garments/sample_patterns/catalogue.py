"""The sample garments shipped with tryon: what each is, and the pattern it is sewn from.

Each sample's pattern is drafted in every size by ``garments.sample_patterns.drafting``
and shipped as GarmentCode files beside this module (``python -m
garments.sample_patterns.catalogue`` writes them anew); ``tryon.sewing.samples`` sews
them round the mannequins and imports them as a merchandiser's upload would be.
Their size charts are the mannequins' rows they were drafted to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from garments.colorways import Colorway
from garments.patterns.placement import Placement
from garments.sample_patterns import drafting
from garments.sample_patterns.blocks import body_of
from garments.sample_prints import breton, gingham

FOLDER = Path(__file__).parent
SAMPLE_SIZES = ("XS", "S", "M", "L", "XL")


@dataclass(frozen=True)
class SampleGarment:
    """key: its folder of pattern files; name, category, fabric, fit, colour as a
    merchandiser would give them; draft: its drafting function; placements: where its
    pieces whose names do not say start (``garments.patterns.placement``)."""

    key: str
    name: str
    category: str
    fabric: str
    fit: str
    colour: str
    draft: Callable[[drafting.Body], dict]
    placements: dict[str, Placement] = field(default_factory=dict)
    colorways: Callable[[], list[Colorway]] = list
    sizes: tuple[str, ...] = SAMPLE_SIZES

    def pattern_file(self, size: str) -> Path:
        return FOLDER / self.key / f"{size}.json"

    def pattern_bytes(self, size: str) -> bytes:
        return self.pattern_file(size).read_bytes()

    def spec(self, size: str) -> dict:
        return json.loads(self.pattern_bytes(size))


SAMPLES = (
    SampleGarment("tshirt", "Classic T-shirt", "top", "jersey", "men", "#2f5d8a", drafting.tshirt,
                  {"neckband": Placement("neck", 90.0, "neck", 0.045)},
                  colorways=lambda: [Colorway("Cobalt", (47, 93, 138)), Colorway("Heather grey", (154, 154, 158)),
                                     Colorway("Breton stripe", texture=breton((32, 42, 74)))]),
    SampleGarment("blouse", "Button-front blouse", "top", "woven-cotton", "women", "#e9e4d8", drafting.blouse,
                  {"collar": Placement("neck", 180.0, "neck", 0.035)},
                  colorways=lambda: [Colorway("Ecru", (233, 228, 216)), Colorway("Sky", (150, 180, 214)),
                                     Colorway("Gingham", texture=gingham((52, 84, 140)))]),
    SampleGarment("dress", "Midi dress", "dress", "silk-like", "women", "#a8323e", drafting.strap_dress,
                  colorways=lambda: [Colorway("Cherry", (168, 50, 62)), Colorway("Ink", (36, 48, 79)),
                                     Colorway("Wine velvet", (90, 20, 37), fabric="velvet"),
                                     Colorway("Gingham", texture=gingham((52, 84, 140)))]),
    SampleGarment("skirt", "A-line skirt", "skirt", "woven-cotton", "women", "#3d6b4f", drafting.a_line_skirt,
                  {"waistband": Placement("torso", 90.0, "waist", 0.04)}),
    SampleGarment("jeans", "Straight jeans", "trousers", "denim", "women", "#2b3a55", drafting.jeans,
                  {"fly": Placement("torso", 0.0, "waist", 0.0),
                   "waistband": Placement("torso", 180.0, "waist", 0.04)}),
    SampleGarment("jacket", "Zip jacket", "outerwear", "knit", "men", "#b8976b", drafting.zip_jacket,
                  {"collar": Placement("neck", 180.0, "neck", 0.07)}),
)


def write_all() -> list[Path]:
    """Draft every sample garment in every size and write its file."""
    written = []
    for sample in SAMPLES:
        for size in sample.sizes:
            path = sample.pattern_file(size)
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(sample.draft(body_of(sample.fit, size)), indent=1) + "\n")
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(written_path)
