"""Every library body x every sample garment x every size: drape and check.

Checks each drape for what must never happen (a vertex inside the body by
more than 1 mm, outside the zones where the body model's skin touches or
passes through itself, as heavy inner thighs do; an exploded or collapsed
edge; a vertex flung away) and
prints a summary with the worst cases and the time per drape. Exits 1 if
any drape fails. About 800 drapes: 8-10 minutes on 2 cores.
Run: .venv/bin/python bench/sweep_drapes.py [--bodies N]
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import asdict
import sys
import time

import numpy as np

from avatars.library import library
from garments.store import GarmentStore
from tryon.core.settings import settings
from tryon.drape.draping import drape
from tryon.fit.advice import drape_verdict


def _edge_lengths(points, faces):
    edges = np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    return np.linalg.norm(points[edges[:, 0]] - points[edges[:, 1]], axis=1)


def problems(d) -> list[str]:
    """What is wrong with a drape, in words; empty when nothing is."""
    found = []
    if not np.isfinite(d.positions).all():
        return ["non-finite positions"]
    if d.stats["max_penetration_mm"] > 1.0:
        found.append(f"penetration {d.stats['max_penetration_mm']} mm")
    if d.stats["pinched_penetration_mm"] > 10.0:
        found.append(f"penetration where the body touches itself {d.stats['pinched_penetration_mm']} mm")
    rest = _edge_lengths(d.mesh.physics_vertices, d.faces)
    now = _edge_lengths(d.positions, d.faces)
    if now.max() > 3 * rest.max():
        found.append(f"exploded edge {now.max() * 100:.1f} cm")
    if (now < 0.2 * rest).mean() > 0.005:
        found.append(f"{(now < 0.2 * rest).mean():.1%} edges collapsed")
    if d.gap.max() > 0.3:
        found.append(f"vertex {d.gap.max() * 100:.0f} cm off the body")
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", type=int, default=None, help="only the first N library bodies")
    args = parser.parse_args()
    store = GarmentStore(settings().garments_dir)
    garments = [g for g in store.list() if g.status == "published"]
    bodies = list(library().values())[: args.bodies]
    seconds, penetration, pinched, failures, advice = [], [], [], [], {}
    start = time.perf_counter()
    for body in bodies:
        for garment in garments:
            for size in garment.sizes:
                d = drape(body, garment.id, size, store=store)
                seconds.append(d.stats["seconds"])
                penetration.append(d.stats["max_penetration_mm"])
                pinched.append(d.stats["pinched_penetration_mm"])
                verdict = drape_verdict({"regions": [asdict(f) for f in d.fits]}, garment.category)
                advice[verdict] = advice.get(verdict, 0) + 1
                for problem in problems(d):
                    failures.append(f"{body.id} / {garment.name} / {size}: {problem}")
    print(f"{len(seconds)} drapes ({len(bodies)} bodies x {len(garments)} garments x sizes) "
          f"in {time.perf_counter() - start:.0f} s")
    print(f"solve time per drape: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s")
    print(f"max penetration: {max(penetration):.2f} mm (target <= 1 mm); drapes over 1 mm: "
          f"{sum(p > 1.0 for p in penetration)}")
    print(f"max penetration where the body touches itself: {max(pinched):.2f} mm")
    print("verdicts (tight, fits or loose where meant to fit):", ", ".join(f"{k}: {v}" for k, v in sorted(advice.items())))
    print(f"failures: {len(failures)}")
    for failure in failures[:40]:
        print("  " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
