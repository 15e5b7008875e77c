"""Cloth relaxation: a garment-like tube settling on a body-like capsule.

The tube was authored on a thinner mannequin (a cylinder of radius 0.12 m):
snug at the top, flaring to a loose hem. Transferred onto a capsule of
radius 0.13 m by its normal offset, its top is stretched over the body and
held by friction while the flare, stretched by the transfer, falls back and
folds. Cold: kernels cached on disk, collider not built; warm: collider
cached. The 20k-vertex garment is solved on a ~5k-vertex proxy.

Targets on 2 cores: 5k vertices <= 1.5 s cold, <= 0.5 s warm; 20k <= 3 s.
Run: .venv/bin/python bench/bench_cloth.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_seconds, report  # noqa: E402

from tryon.cloth.collider import BodyCollider  # noqa: E402
from tryon.cloth.fabric import FabricParams  # noqa: E402
from tryon.cloth.solver import relax  # noqa: E402

MANNEQUIN_RADIUS = 0.12
BODY_RADIUS = 0.13


def body_capsule() -> trimesh.Trimesh:
    """A torso-sized capsule standing on z = 0.4, metres."""
    body = trimesh.creation.capsule(height=1.0, radius=BODY_RADIUS, count=[64, 64])
    body.apply_translation([0.0, 0.0, 0.9])
    return body


def garment(around: int, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(transferred (N, 3), faces (F, 3), authored (N, 3)) of a flared tube from z 1.35 m to 0.75 m."""
    z = np.linspace(1.35, 0.75, rows)
    authored_radius = MANNEQUIN_RADIUS + 0.003 + 0.08 * np.clip((1.15 - z) / 0.4, 0.0, 1.0) ** 2
    angle = np.linspace(0.0, 2.0 * np.pi, around, endpoint=False)

    def tube(radius):
        r = np.repeat(radius, around)
        a = np.tile(angle, rows)
        return np.stack([r * np.cos(a), r * np.sin(a), np.repeat(z, around)], axis=1)

    ring = np.arange(around)
    quads = [(r * around + ring, r * around + (ring + 1) % around) for r in range(rows - 1)]
    faces = np.concatenate([
        np.concatenate([np.stack([a, a + around, b], 1), np.stack([b, a + around, b + around], 1)])
        for a, b in quads
    ])
    # transfer: the same offset from the body as from the mannequin
    return tube(authored_radius - MANNEQUIN_RADIUS + BODY_RADIUS), faces, tube(authored_radius)


def main() -> None:
    body = body_capsule()
    fabric = FabricParams()
    for label, (around, rows), targets in (("5k", (100, 50), (1.5, 0.5)), ("20k", (200, 100), (3.0, 3.0))):
        positions, faces, rest = garment(around, rows)

        def cold():  # the body's BVH built inside the timed call
            collider = BodyCollider(body.vertices, body.faces)
            return relax(positions, faces, rest, None, None, fabric, collider=collider)

        def warm():  # the body's BVH from the cache
            return relax(positions, faces, rest, body.vertices, body.faces, fabric)

        result = warm()  # loads the kernels from Warp's cache, or compiles them once
        report(f"{label} ({len(positions)} vertices), cold", median_seconds(cold, runs=3, warmup=0), targets[0])
        report(f"{label} ({len(positions)} vertices), warm", median_seconds(warm, runs=5, warmup=1), targets[1])
        hem = positions[:, 2] < 0.76
        print(f"    {result.iterations} steps, converged {result.converged}, "
              f"max penetration {result.max_penetration_m * 1e3:.2f} mm, "
              f"hem drop {(positions[hem, 2] - result.positions[hem, 2]).mean() * 1e3:.1f} mm")


if __name__ == "__main__":
    main()
