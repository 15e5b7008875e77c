"""Sewing a graded pattern into a garment, and draping what was sewn.

1. The sample T-shirt's five sizes written as one graded DXF-AAMA file (a block per
   piece and size, millimetres, turn points at the corners, a grain line), as pattern
   CAD exports it, with a sewing document of its stitches: read, every size sewn on its
   mannequin and imported into a fresh store (``sew_and_import``, the pattern import
   job's work), median of 3 runs. Target: <= 60 s on 2 cores.
2. Each sample garment, size M, draped warm on 3 library bodies it was not sewn on:
   median seconds and its vertex count.
Run: .venv/bin/python bench/bench_sewing.py
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import ezdxf
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from avatars.library import get_avatar  # noqa: E402
from garments.patterns.reading import read_pattern, sizes_to_sew  # noqa: E402
from garments.patterns.sewing_spec import read_sewing_spec  # noqa: E402
from garments.sample_patterns.catalogue import SAMPLES  # noqa: E402
from garments.store import GarmentStore  # noqa: E402
from tryon.core.settings import settings  # noqa: E402
from tryon.drape.draping import drape  # noqa: E402
from tryon.outputs.pattern_import import sew_and_import  # noqa: E402

BODIES = {"women": ["f152-eu34", "f168-eu42", "f174-eu54"], "men": ["m180-eu44", "m178-eu52", "m194-eu60"]}


def graded_dxf(sample) -> bytes:
    """Every size of ``sample``'s pattern as one DXF-AAMA file, millimetres."""
    doc = ezdxf.new("R2000")
    for layer in ("1", "2", "7"):
        doc.layers.add(layer)
    space = doc.modelspace()
    space.add_text("Units: METRIC", dxfattribs={"layer": "1"})
    for k, size in enumerate(sample.sizes):
        pattern = read_pattern(sample.pattern_bytes(size), f"{size}.json")
        for number, piece in enumerate(pattern.pieces):
            block = doc.blocks.new(name=f"{piece.name}_{size}")
            outline = [tuple(p * 10.0) for p in piece.outline]  # cm -> mm
            block.add_lwpolyline(outline, close=True, dxfattribs={"layer": "1"})
            for corner in piece.corners:
                block.add_point(outline[corner], dxfattribs={"layer": "2"})
            centre = piece.outline.mean(axis=0) * 10.0
            block.add_line(tuple(centre - (0, 150)), tuple(centre + (0, 150)), dxfattribs={"layer": "7"})
            for line in (f"Piece Name: {piece.name}", f"Size: {size}", "Quantity: 1"):
                block.add_text(line, dxfattribs={"layer": "1"})
            space.add_blockref(block.name, (1500.0 * number, 2000.0 * k))
    stream = io.StringIO()
    doc.write(stream)
    return stream.getvalue().encode()


def sewing_document(sample) -> str:
    pattern = read_pattern(sample.pattern_bytes("M"), "M.json")
    return json.dumps({
        "stitches": [{"a": {"piece": s.a[0], "edge": s.a[1]}, "b": {"piece": s.b[0], "edge": s.b[1]}}
                     for s in pattern.stitches],
        "placements": {name: {"part": p.part, "side": p.side, "anchor": p.anchor, "offset_m": p.offset_m}
                       for name, p in sample.placements.items()}})


def sew_graded(sample, dxf: bytes, document: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        store = GarmentStore(Path(tmp) / "garments")
        start = time.perf_counter()
        pattern = read_pattern(dxf, f"{sample.key}.dxf")
        sizes = sizes_to_sew(pattern, None, sample.fit)
        details = {"name": sample.name, "category": sample.category, "fabric": sample.fabric, "fit": sample.fit}
        (Path(tmp) / "sewn").mkdir()
        garment, sewing, reports = sew_and_import(store, Path(tmp) / "sewn", pattern, read_sewing_spec(document),
                                                  sizes, details, [])
        seconds = time.perf_counter() - start
        assert garment is not None, {s: r.as_dict() for s, r in reports.items() if not r.accepted}
        return seconds, sewing


def main() -> None:
    tee = next(s for s in SAMPLES if s.key == "tshirt")
    dxf, document = graded_dxf(tee), sewing_document(tee)
    print(f"graded T-shirt DXF: {len(dxf) / 1024:.0f} KB, {len(tee.sizes)} sizes")
    runs = [sew_graded(tee, dxf, document) for _ in range(3)]
    seconds = statistics.median(r[0] for r in runs)
    print(f"sew 5 sizes and import, median of 3        {seconds:6.1f} s  "
          f"(runs {', '.join(f'{r[0]:.1f}' for r in runs)}; target 60 s)")
    for size, report in runs[0][1].items():
        print(f"  {size:3} {report['vertices']:5} vertices  sewing {report['seconds']:.2f} s  pulled gap "
              f"{report['seam_gap_pulled_mm']:.2f} mm  stretch p95 {report['stretch_p95']:.3f}  "
              f"at rest {report['at_rest']}")
    store = GarmentStore(settings().garments_dir)
    garments = {g.name: g for g in store.list()}
    for sample in SAMPLES:
        garment = garments[sample.name]
        times = []
        for avatar_id in BODIES[sample.fit]:
            avatar = get_avatar(avatar_id)
            drape(avatar, garment.id, "M", store=store)  # warm: the collider and the binding kept
            start = time.perf_counter()
            drape(avatar, garment.id, "M", store=store)
            times.append(time.perf_counter() - start)
        vertices = len(store.load_size(garment.id, "M").physics_vertices)
        print(f"drape {sample.name:22} M, {vertices:5} vertices, warm on 3 bodies: median "
              f"{statistics.median(times):.2f} s (max {np.max(times):.2f})")


if __name__ == "__main__":
    main()
