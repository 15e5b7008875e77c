"""A coloured scan to a twin with her appearance: read, fit, capture; time, colour and surface error.

Each scan is a synthetic 100k-point scan (``avatars.scans.synthetic``, a
random body, pose and heading, 1 mm noise as a body scanner leaves, 15 mm
of hair volume over the scalp, floor and clutter, millimetres, Y-up PLY)
whose points take the colours of a known texture (``synthetic_skin``: the
painted skin of a Monk tone with blotches, the scalp another colour). The
capture (``avatars.appearance.capture``) fits the displacement and bakes the
colours. Reported: median seconds of each step and of the whole; the
scan-to-body distance without and with the displacement (mean and 95th
percentile, mm); the baked texture against the true one texel by texel on
the skin (CIEDE2000). Targets on 2 cores: scan to textured twin <= 90 s;
with displacement mean <= 1.5 mm, p95 <= 5 mm.
Run: .venv/bin/python bench/bench_appearance.py [scans, default 3]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import report  # noqa: E402

from avatars.appearance.capture import capture_appearance  # noqa: E402
from avatars.appearance.face_features import face_features  # noqa: E402
from avatars.body_models.registry import get_body_model  # noqa: E402
from avatars.scans.fitting import fit_scan  # noqa: E402
from avatars.scans.reading import load_scan  # noqa: E402
from avatars.scans.synthetic import synthetic_scan, synthetic_skin  # noqa: E402
from tryon.core.colour import delta_e_2000  # noqa: E402


def main(scans: int) -> None:
    steps = {"read": [], "fit": [], "capture": [], "total": []}
    means, p90s, fitted_mm, displaced_mm = [], [], [], []
    for seed in range(scans):
        sex = ("female", "male")[seed % 2]
        model = get_body_model(sex)
        tone = 2 + 3 * seed % 9
        truth = synthetic_skin(model, tone, seed)
        made = synthetic_scan(model, seed=100 + seed, sex=sex, points=100_000, noise_m=0.001,
                              file_format="ply", units="mm", y_up=True, skin=truth, hair_volume_m=0.015)
        start = time.perf_counter()
        scan = load_scan(made.data, made.filename)
        read = time.perf_counter()
        fit = fit_scan(scan, sex, model)
        fitted = time.perf_counter()
        captured = capture_appearance(model, fit, scan, tone)
        done = time.perf_counter()
        for name, seconds in zip(steps, (read - start, fitted - read, done - fitted, done - start)):
            steps[name].append(seconds)
        skin = face_features(model).skin
        difference = delta_e_2000(captured.appearance.texture[skin], truth.image[skin])
        means.append(float(np.mean(difference)))
        p90s.append(float(np.percentile(difference, 90)))
        fitted_mm.append((fit.percentiles_mm["mean"], fit.percentiles_mm["p95"]))
        displaced_mm.append((captured.surface_mm["mean"], captured.surface_mm["p95"]))
        print(f"scan {seed} ({sex}): {done - start:.1f} s; surface mean / p95 {fitted_mm[-1][0]:.2f} / "
              f"{fitted_mm[-1][1]:.2f} mm fitted, {displaced_mm[-1][0]:.2f} / {displaced_mm[-1][1]:.2f} mm "
              f"displaced; seen {captured.seen:.3f}, CIEDE2000 mean {means[-1]:.2f}, p90 {p90s[-1]:.2f}")
    for name, values in steps.items():
        report(f"{name}, median of {scans}", statistics.median(values), 90.0 if name == "total" else None)
    for name, values in (("fitted", fitted_mm), ("displaced", displaced_mm)):
        print(f"{'surface ' + name + ': mean / p95 mm, medians':48} "
              f"{statistics.median(v[0] for v in values):9.2f} / {statistics.median(v[1] for v in values):.2f}")
    print(f"{'CIEDE2000 on the skin: mean / p90, medians':48} {statistics.median(means):9.2f} / "
          f"{statistics.median(p90s):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
