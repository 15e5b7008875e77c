"""Colorways: what showing a garment in another colour or print costs.

Every colorway shares the size's drape, so another colorway should cost one
render, no more: the ratio of a render in a colorway to a render as
uploaded (drape warm in both), for a plain colour, velvet and a print
(texture upload included). And the GLB: adding the variants and sheen to an
exported scene, against the export itself. Medians over runs, interleaved.
Targets on 2 cores: render ratio <= 1.2 (colour) and <= 1.5 (print); GLB
looks <= 10 % of the export.
Run: .venv/bin/python bench/bench_colorways.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from avatars.library import get_avatar  # noqa: E402
from garments.store import GarmentStore  # noqa: E402
from tryon.core.settings import settings  # noqa: E402
from tryon.drape.draping import cached_drape  # noqa: E402
from tryon.render.gltf import scene_glb  # noqa: E402
from tryon.render.gltf_looks import add_garment_looks  # noqa: E402
from tryon.render.try_on import render_try_on  # noqa: E402

RUNS = 9
AVATARS = ("f158-eu38", "f170-eu46", "f174-eu54")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    store = GarmentStore(settings().garments_dir)
    dress = next(g for g in store.list() if g.name == "Midi dress")
    colorways = [c["id"] for c in dress.colorways]
    print(f"Midi dress, size M, colorways {', '.join(colorways)}; 512x768 PNG; "
          f"{RUNS} runs on each of {len(AVATARS)} bodies")
    times: dict[str | None, list[float]] = {None: [], **{c: [] for c in colorways}}
    for avatar_id in AVATARS:
        avatar = get_avatar(avatar_id)
        cached_drape(avatar, dress.id, "M", store=store)  # warm: colorways share it
        for colorway in times:  # warm-up: shaders, texture decode paths
            render_try_on(avatar, dress.id, "M", colorway=colorway, store=store)
        for _ in range(RUNS):
            for colorway in times:
                times[colorway].append(timed(lambda: render_try_on(
                    avatar, dress.id, "M", colorway=colorway, store=store)))
    base = statistics.median(times[None])
    print(f"{'as uploaded':24} {base * 1e3:8.1f} ms")
    for colorway in colorways:
        median = statistics.median(times[colorway])
        print(f"{colorway:24} {median * 1e3:8.1f} ms  ratio {median / base:.2f}")

    avatar = get_avatar(AVATARS[0])
    exports, looks = [], []
    material = cached_drape(avatar, dress.id, "M", "a-pose", store=store).mesh.material
    looked = store.colorways(dress.id)
    for _ in range(RUNS):
        start = time.perf_counter()
        glb = scene_glb(avatar, dress.id, "M", store)
        exports.append(time.perf_counter() - start)
        looks.append(timed(lambda: add_garment_looks(glb, "garment", material, dress.fabric,
                                                     looked)))
    print(f"GLB with {len(looked)} variants: {len(glb) / 1e6:.2f} MB; whole export "
          f"{statistics.median(exports) * 1e3:.0f} ms, of which the looks "
          f"{statistics.median(looks) * 1e3:.0f} ms "
          f"({statistics.median(looks) / statistics.median(exports):.0%})")


if __name__ == "__main__":
    main()
