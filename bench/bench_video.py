"""Try-on videos: a turntable and a walk with cloth dynamics, 4 s at 24 fps, 512x768.

Times ``tryon.render.video.render_video`` end to end (clip, cloth, frames
rendered on the render thread, encoding) and reports its parts: ms per
simulated frame (cloth), ms per rendered frame, and the encoding. The static
drape the clip starts from is cached first, as a server has it after the
still images; the clip's simulated cloth is not (``tryon.drape.motion`` keeps
it), so every run simulates. Targets on 2 cores: turntable <= 15 s; walk <= 60 s, of which
the cloth <= 30 s.
Run: .venv/bin/python bench/bench_video.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from avatars.library import get_avatar  # noqa: E402
from garments.store import GarmentStore  # noqa: E402
from tryon.core.settings import settings  # noqa: E402
from tryon.drape.cache import drape_cache_dir  # noqa: E402
from tryon.drape.draping import cached_drape  # noqa: E402
from tryon.render.video import render_video  # noqa: E402

RUNS = 2
SECONDS, FPS, WIDTH, HEIGHT = 4.0, 24, 512, 768
CASES = [  # (motion, garment, format, view, target total s, target cloth s)
    ("turntable", "A-line skirt", "mp4", "front", 15.0, None),
    ("walk", "Midi dress", "mp4", "three-quarter", 60.0, 30.0),
    ("walk", "A-line skirt", "webm", "three-quarter", 60.0, 30.0),
]


def main() -> None:
    store = GarmentStore(settings().garments_dir)
    avatar = get_avatar("f165-eu40")
    frames = int(SECONDS * FPS)
    print(f"{frames} frames ({SECONDS:g} s at {FPS} fps), {WIDTH}x{HEIGHT}, medians of {RUNS} runs")
    for motion, name, fmt, view, target, cloth_target in CASES:
        garment = next(g.id for g in store.list() if g.name == name)
        cached_drape(avatar, garment, "M", store=store)  # the stills made it already
        runs = []
        for _ in range(RUNS):
            for kept in drape_cache_dir(avatar.id).glob("clip-*"):  # simulate every run
                kept.unlink()
            start = time.perf_counter()
            video = render_video(avatar, garment, "M", motion=motion, seconds=SECONDS, fps=FPS,
                                 width=WIDTH, height=HEIGHT, fmt=fmt, view=view, store=store)
            runs.append((time.perf_counter() - start, video))
        total = statistics.median(t for t, _ in runs)
        stats = [v.stats for _, v in runs]
        cloth = statistics.median(s.get("cloth_seconds", 0.0) for s in stats)
        render = statistics.median(s["render_seconds"] for s in stats)
        encode = statistics.median(s["encode_seconds"] for s in stats)
        verdict = "ok" if total <= target and (cloth_target is None or cloth <= cloth_target) else "OVER"
        print(f"{motion:9} {name:13} {fmt:4}  total {total:6.1f} s (target {target:g})  "
              f"cloth {cloth:5.1f} s = {cloth / frames * 1e3:5.0f} ms/frame  "
              f"render {render / frames * 1e3:4.0f} ms/frame  encode {encode:4.2f} s  "
              f"{len(runs[-1][1].data) / 1e6:.2f} MB  {verdict}")


if __name__ == "__main__":
    main()
