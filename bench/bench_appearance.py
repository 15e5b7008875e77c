"""A coloured scan to a textured body: read, fit, bake; time and colour error.

Each scan is a synthetic 100k-point scan (``avatars.scans.synthetic``, a
random body, pose and heading, 3 mm noise, floor and clutter, millimetres,
Y-up PLY) whose points take the colours of a known texture
(``synthetic_skin``: the painted skin of a Monk tone with blotches, the
scalp another colour). The baked texture is compared with that texture texel
by texel on the skin (CIEDE2000, colour-science): the fit's error shows as
colour taken from a neighbour. Reported: median seconds of each step and of
the whole, and the median over the scans of each one's mean and 90th
percentile difference. Target on 2 cores: scan to textured body <= 90 s.
Run: .venv/bin/python bench/bench_appearance.py [scans, default 3]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import colour
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import report  # noqa: E402

from avatars.appearance.bake import bake_skin  # noqa: E402
from avatars.appearance.face_features import face_features  # noqa: E402
from avatars.body_models.registry import get_body_model  # noqa: E402
from avatars.scans.fitting import fit_scan  # noqa: E402
from avatars.scans.reading import load_scan  # noqa: E402
from avatars.scans.synthetic import synthetic_scan, synthetic_skin  # noqa: E402


def _delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lab = [colour.XYZ_to_Lab(colour.sRGB_to_XYZ(np.asarray(c, float) / 255.0)) for c in (a, b)]
    return colour.delta_E(lab[0], lab[1], method="CIE 2000")


def main(scans: int) -> None:
    steps = {"read": [], "fit": [], "bake": [], "total": []}
    means, p90s = [], []
    for seed in range(scans):
        sex = ("female", "male")[seed % 2]
        model = get_body_model(sex)
        truth = synthetic_skin(model, 2 + 3 * seed % 9, seed)
        made = synthetic_scan(model, seed=100 + seed, sex=sex, points=100_000, file_format="ply",
                              units="mm", y_up=True, skin=truth)
        start = time.perf_counter()
        scan = load_scan(made.data, made.filename)
        read = time.perf_counter()
        fit = fit_scan(scan, sex, model)
        fitted = time.perf_counter()
        with torch.no_grad():
            posed = model.forward(torch.tensor(fit.shape), fit.pose[None]).vertices[0].numpy()
        placed = posed.astype(np.float64) @ fit.placement[:3, :3].T + fit.placement[:3, 3]
        baked = bake_skin(model, placed, scan.points, scan.colours, 2 + 3 * seed % 9)
        done = time.perf_counter()
        for name, seconds in zip(steps, (read - start, fitted - read, done - fitted, done - start)):
            steps[name].append(seconds)
        skin = face_features(model).skin
        difference = _delta_e(baked.texture.image[skin], truth.image[skin])
        means.append(float(np.mean(difference)))
        p90s.append(float(np.percentile(difference, 90)))
        print(f"scan {seed} ({sex}): {done - start:.1f} s, fit {fit.percentiles_mm['mean']:.2f} mm mean, "
              f"seen {baked.seen:.3f}, CIEDE2000 mean {means[-1]:.2f}, p90 {p90s[-1]:.2f}")
    for name, values in steps.items():
        report(f"{name}, median of {scans}", statistics.median(values), 90.0 if name == "total" else None)
    print(f"{'CIEDE2000 on the skin: mean / p90, medians':48} {statistics.median(means):9.2f} / "
          f"{statistics.median(p90s):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
