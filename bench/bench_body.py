"""Body model forward (batch 1 and 16) and the avatar-from-measurements solve.

Targets on 2 cores: forward <= 30 ms, measurement solve <= 2 s.
Run: .venv/bin/python bench/bench_body.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_seconds, report  # noqa: E402

from avatars.from_measurements import BodyDescription, solve_body  # noqa: E402
from avatars.body_models.registry import get_body_model  # noqa: E402

DESCRIPTIONS = [
    BodyDescription(height=165, chest=88, waist=70, hips=96, inseam=76, sex="female"),
    BodyDescription(height=180, chest=100, waist=86, hips=100, sex="male"),
    BodyDescription(height=158, waist=95, hips=110, sex="female", build="curvy"),
    BodyDescription(height=172, sex="neutral"),
    BodyDescription(height=186, chest=112, waist=104, hips=108, sex="male", build="heavy"),
]


@torch.no_grad()
def main() -> None:
    model = get_body_model()
    pose = model.named_pose("a-pose")
    print(f"body model: {model.name}, {model.vertex_count} vertices, {torch.get_num_threads()} threads")
    for batch in (1, 16):
        shapes = model.default_shape().repeat(batch, 1)
        seconds = median_seconds(lambda: model.forward(shapes, pose), runs=30)
        report(f"forward, batch {batch} (per batch)", seconds, 0.030 if batch == 1 else None)
    for d in DESCRIPTIONS:
        seconds = median_seconds(lambda: solve_body(d, model), runs=3, warmup=1)
        given = ", ".join(f"{k} {v:g}" for k, v in d.targets().items())
        report(f"solve {d.sex} ({given})", seconds, 2.0)


if __name__ == "__main__":
    main()
