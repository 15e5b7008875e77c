"""Warm a fresh serving process, so its first request does not pay for it.

A new process loads the body model and avatar library, initialises Warp
and loads the cloth kernels, opens the EGL context and compiles the
shaders: seconds on 2 cores, which the first shopper would otherwise wait
for on top of the drape and render. ``warm_up`` does each of those once,
for real (a tiny cloth relaxed on a box, a small body render).
``api.server`` runs it in every gunicorn worker before the worker
accepts a connection; Celery job processes run it in the background as
they start (``tryon.celery_app``).
"""

from __future__ import annotations

import logging
import os
import threading
import time

import numpy as np
import trimesh

from tryon.core.settings import log_progress

log = logging.getLogger(__name__)


def warm_up() -> float:
    """Load everything a first render needs; return the seconds it took."""
    # torch, warp and pyrender (EGL): loaded by the process that warms up, never
    # by a server's master process, which imports this module before it forks
    from avatars.library import library
    from tryon.cloth.solver import relax
    from tryon.render.try_on import render_try_on

    start = time.perf_counter()
    avatar = next(iter(library().values()))  # loads the body model too
    # A 2x2 cm cloth square resting on a box: every cloth kernel runs once.
    box = trimesh.creation.box(extents=(0.1, 0.1, 0.1))
    xs, ys = np.meshgrid(np.linspace(-0.01, 0.01, 3), np.linspace(-0.01, 0.01, 3))
    cloth = np.stack([xs.ravel(), ys.ravel(), np.full(9, 0.052)], axis=1)
    quads = [(r * 3 + c, r * 3 + c + 1, r * 3 + c + 4, r * 3 + c + 3) for r in range(2) for c in range(2)]
    faces = np.array([tri for a, b, c, d in quads for tri in ((a, b, c), (a, c, d))])
    relax(cloth, faces, cloth, np.asarray(box.vertices), np.asarray(box.faces), max_iterations=20)
    render_try_on(avatar, None, None, width=64, height=96)
    return time.perf_counter() - start


def warm_up_and_report() -> None:
    """``warm_up``, saying how long it took; a failure is logged, not raised
    (the process serves on, and its first request loads what it needs)."""
    try:
        log_progress(f"tryon process {os.getpid()} warmed up in {warm_up():.1f} s")
    except Exception:
        log.warning("warm-up failed; the first request will load what it needs", exc_info=True)


def warm_up_in_background() -> threading.Thread:
    """``warm_up_and_report`` on a daemon thread."""
    thread = threading.Thread(target=warm_up_and_report, name="tryon-warm-up", daemon=True)
    thread.start()
    return thread
