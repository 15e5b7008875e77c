"""Body renders: 512x768 and 1024x1536, and the pipeline's overhead over pyrender.

The pipeline is ``render_body_rgba``: build the scene (normals, base layer,
contact shadow, lights, camera; the skin textured with the face, long hair), queue it to the render thread, render, read
back as straight RGBA. The bare figure is pyrender's ``render(scene)`` of the
same prebuilt scene on the same renderer, timed on the render thread.
Targets on 2 cores: 512x768 <= 150 ms; overhead ratio <= 1.3.
Run: .venv/bin/python bench/bench_render.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_seconds, report  # noqa: E402

from avatars.appearance.skin_texture import skin_texture  # noqa: E402
from avatars.body_models.registry import get_body_model  # noqa: E402
from avatars.hair.styles import hair_mesh  # noqa: E402
from tryon.render.body import render_body, render_body_rgba  # noqa: E402  (sets up EGL)
from tryon.render.encoding import encode_image  # noqa: E402
from tryon.render.renderer import get_renderer  # noqa: E402
from tryon.render.scene import GarmentLayer, body_scene  # noqa: E402

import pyrender  # noqa: E402  (after tryon chose the GL platform)

RUNS = 25


def pipeline_and_bare_seconds(body: dict, width: int, height: int, runs: int) -> tuple[float, float]:
    """Medians of the pipeline and of pyrender's bare ``render(scene)``, interleaved.

    Interleaving frame by frame keeps the ratio fair when the machine's load
    changes during the run. The bare render is timed on the render thread.
    """
    scene = body_scene(**body, skin_tone=5, azimuth=0.0, aspect=width / height)

    def bare(offscreen):
        offscreen.viewport_width, offscreen.viewport_height = width, height
        start = time.perf_counter()
        offscreen.render(scene, flags=pyrender.RenderFlags.RGBA)
        return time.perf_counter() - start

    renderer = get_renderer()
    pipeline_times, bare_times = [], []
    for i in range(runs + 2):  # the first two warm up (shader compiles, uploads)
        start = time.perf_counter()
        render_body_rgba(**body, skin_tone=5, width=width, height=height)
        pipeline = time.perf_counter() - start
        bare_time = renderer.submit(bare).result()
        if i >= 2:
            pipeline_times.append(pipeline)
            bare_times.append(bare_time)
    return statistics.median(pipeline_times), statistics.median(bare_times)


@torch.no_grad()
def main() -> None:
    model = get_body_model()
    out = model.forward(model.default_shape(), model.named_pose("a-pose"))
    body = dict(
        vertices=out.vertices[0].numpy(), faces=model.faces, joints=out.joints[0].numpy(),
        landmarks=model.landmarks, arm_mask=model.arm_vertex_mask(), skin=skin_texture(model, 5),
    )
    hair = hair_mesh(model, body["vertices"], "long", "brown")
    body["garments"] = (GarmentLayer(hair.vertices, hair.faces, (0, 0, 0), hair.roughness, hair.vertex_rgb),)
    platform = os.environ["PYOPENGL_PLATFORM"]
    print(f"{len(model.faces)} body triangles, {os.cpu_count()} CPUs, PYOPENGL_PLATFORM={platform}")
    for width, height in ((512, 768), (1024, 1536)):
        pipeline, bare = pipeline_and_bare_seconds(body, width, height, RUNS)
        rgba = render_body_rgba(**body, skin_tone=5, width=width, height=height)
        png = median_seconds(lambda: encode_image(rgba, "png"), RUNS)
        full = median_seconds(lambda: render_body(**body, skin_tone=5, width=width, height=height), RUNS)
        report(f"{width}x{height} render_body_rgba", pipeline, 0.150 if width == 512 else None)
        report(f"{width}x{height} bare pyrender render(scene)", bare)
        ratio = pipeline / bare
        verdict = "  ok" if ratio <= 1.3 else "  OVER target 1.3"
        print(f"{f'{width}x{height} overhead ratio':48} {ratio:9.2f}{verdict}")
        report(f"{width}x{height} PNG encode", png)
        report(f"{width}x{height} render_body (PNG bytes)", full)
        flat = median_seconds(lambda: render_body_rgba(**{**body, "skin": None, "garments": ()}, skin_tone=5,
                                                       width=width, height=height), RUNS)
        print(f"{f'{width}x{height} with face and long hair / flat, bald':48} {pipeline / flat:9.2f}")


if __name__ == "__main__":
    main()
