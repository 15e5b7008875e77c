"""Drape time of a ~5k and a ~20k-vertex garment on bodies it was not authored on.

cold: Warp kernels cached, the body's collider (BVH) not yet built;
warm: the same body again (collider cached). Whole ``tryon.drape.draping.drape``
calls (transfer, relaxation, fit analysis), medians over runs.
Targets on 2 cores: 5k <= 1.5 s cold, <= 0.5 s warm; 20k <= 3 s.
Run: .venv/bin/python bench/bench_drape.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import report  # noqa: E402

from avatars.library import library  # noqa: E402
from garments.store import GarmentStore  # noqa: E402
from tryon.core.settings import settings  # noqa: E402
from tryon.cloth import collider  # noqa: E402
from tryon.drape.draping import drape  # noqa: E402

BODIES = ["f165-eu40", "f158-eu38", "f172-eu38", "f168-eu42", "f163-eu36"]


def _subdivided_copy(store: GarmentStore, garment_id: str, folder: Path) -> str:
    """A ~4x denser copy of a garment (size M), imported like any upload."""
    mesh = store.load_size(garment_id, "M")
    vertices, faces = trimesh.remesh.subdivide(mesh.physics_vertices, mesh.physics_faces)
    path = folder / "dense.obj"
    trimesh.Trimesh(vertices, faces, process=False).export(path)
    g = store.get(garment_id)
    dense, reports = store.add(f"{g.name} (dense bench copy)", g.category, g.fabric, g.fit,
                               {"M": path})
    assert dense is not None, reports["M"].as_dict()
    return dense.id


def _time(avatar, garment_id, store):
    start = time.perf_counter()
    result = drape(avatar, garment_id, "M", store=store)
    return time.perf_counter() - start, result.stats


def main() -> None:
    avatars = library()
    with tempfile.TemporaryDirectory() as tmp:
        store = GarmentStore(Path(tmp) / "garments")
        samples = GarmentStore(settings().garments_dir)
        skirt = next(g for g in samples.list() if g.name == "A-line skirt")
        # the bench store holds its own copies, imported from the sample files
        mesh = samples.load_size(skirt.id, "M")
        path = Path(tmp) / "skirt.obj"
        trimesh.Trimesh(mesh.physics_vertices, mesh.physics_faces, process=False).export(path)
        base, _ = store.add("Bench skirt", skirt.category, skirt.fabric, skirt.fit, {"M": path})
        dense = _subdivided_copy(store, base.id, Path(tmp))
        for label, garment_id in (("5k", base.id), ("20k", dense)):
            cold, warm = [], []
            for body in BODIES:
                collider._COLLIDERS.clear()  # the body's collider is built in the cold run
                seconds, stats = _time(avatars[body], garment_id, store)
                cold.append(seconds)
                warm.append(_time(avatars[body], garment_id, store)[0])
            vertices = stats["vertices"]
            report(f"drape {label} ({vertices} vertices), cold", statistics.median(cold),
                   1.5 if label == "5k" else 3.0)
            report(f"drape {label} ({vertices} vertices), warm", statistics.median(warm),
                   0.5 if label == "5k" else 3.0)


if __name__ == "__main__":
    main()
