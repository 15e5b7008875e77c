"""Importing a garment made on another avatar, and draping from its fitted body.

The avatar: a library body's shape in the T-pose, remeshed to another
topology, written Y-up in centimetres with the pelvis at the origin (as in
``tests/garments/test_source_body.py``); the garment: the sample T-shirt in
size L made on it. Timed: the whole import (the avatar read and fitted, the
garment validated and stored), median of 3; and a warm drape of the same
T-shirt on 5 library bodies from the fitted avatar against one from the
mannequin, medians and their ratio.
Targets on 2 cores: import <= 60 s; a drape from a source body no slower
than one from the mannequin (ratio <= 1.1).
Run: .venv/bin/python bench/bench_source_body.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
from _timing import report  # noqa: E402

from avatars.body_models.registry import get_body_model  # noqa: E402
from avatars.library import library  # noqa: E402
from garments.source_body import fit_source_body  # noqa: E402
from garments.store import GarmentStore  # noqa: E402
from tests.garments.source_files import exported, t_posed_avatar, write_obj  # noqa: E402
from tryon.core.settings import settings  # noqa: E402
from tryon.drape.draping import drape  # noqa: E402

BODIES = ["f165-eu40", "f152-eu34", "m194-eu60", "n172", "m170-eu50"]
SOURCE = "m178-eu52"


def _median_drape(avatars, garment_id, store) -> float:
    times = []
    for body in BODIES:
        drape(avatars[body], garment_id, "L", store=store)  # warm: kernels and collider built
        start = time.perf_counter()
        drape(avatars[body], garment_id, "L", store=store)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    avatars = library()
    samples = GarmentStore(settings().garments_dir)
    tee = next(g for g in samples.list() if g.name == "Classic T-shirt")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        remeshed, faces, pelvis = t_posed_avatar(get_body_model(), avatars[SOURCE].shape)
        write_obj(folder / "avatar.obj", exported(remeshed, pelvis), faces)
        made = drape(avatars[SOURCE], tee.id, "L", "t-pose", store=samples)
        write_obj(folder / "tee.obj", exported(made.render_positions, pelvis), made.mesh.faces)
        imports = []
        for run in range(3):
            store = GarmentStore(folder / f"store-{run}")
            start = time.perf_counter()
            source = fit_source_body((folder / "avatar.obj").read_bytes(), "avatar.obj")
            garment, reports = store.add("Imported tee", "top", tee.fabric, tee.fit,
                                         {"L": folder / "tee.obj"}, {"L": source})
            imports.append(time.perf_counter() - start)
            assert garment is not None, reports["L"].as_dict()
        print(f"source body: mean {source.report['mean_mm']} mm, p95 {source.report['p95_mm']} mm,"
              f" pose {source.report['pose']}, {len(remeshed):,} vertices")
        report("import with a source body (median of 3)", statistics.median(imports), 60.0)
        from_source = _median_drape(avatars, garment.id, store)
        from_mannequin = _median_drape(avatars, tee.id, samples)
        report("drape from the fitted source body, warm", from_source)
        report("drape from the mannequin, warm", from_mannequin)
        print(f"{'ratio source / mannequin':48} {from_source / from_mannequin:9.2f}"
              f"{'  ok' if from_source <= 1.1 * from_mannequin else '  OVER target 1.10'}")


if __name__ == "__main__":
    main()
