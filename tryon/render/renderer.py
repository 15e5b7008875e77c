"""One long-lived offscreen renderer per process, on its own thread.

EGL contexts belong to the thread that made them, pyrender's ``delete()``
terminates the EGL display every renderer in the process shares, and a
pyrender ``Mesh`` cannot be bound to two renderers. So each process keeps a
single ``pyrender.OffscreenRenderer`` on a dedicated thread, never deletes
it, and feeds it jobs through a queue; any thread may submit a job and wait
on its future. Scale out with processes, not renderers.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from typing import Callable, TypeVar

import numpy as np

from tryon.render.params import check_size
from tryon.render.platform import pyrender

T = TypeVar("T")

def straight_alpha(rgba: np.ndarray, opaque: bool) -> np.ndarray:
    """Turn a rendered frame into straight (non-premultiplied) RGBA, in place.

    rgba: (H, W, 4) uint8 as read back. Antialiased edges over a transparent
    background come back premultiplied (the multisample resolve averages
    colour with the cleared black), and alpha-blended meshes leave alpha
    short of 1 even over an opaque background; both are fixed here.
    """
    if opaque:
        rgba[..., 3] = 255
        return rgba
    pixels = rgba.reshape(-1, 4)
    partial = np.flatnonzero(pixels[:, 3] - np.uint8(1) < 254)  # 0 < alpha < 255, in one pass
    edge = pixels[partial].astype(np.float32)
    edge[:, :3] *= 255.0 / edge[:, 3:]
    pixels[partial, :3] = np.minimum(edge[:, :3] + 0.5, 255.0).astype(np.uint8)
    return rgba


class Renderer:
    """A render thread that owns the process's one ``pyrender.OffscreenRenderer``.

    Thread-safe: every method may be called from any thread.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        # Daemon: a pending render must not keep the process alive at exit.
        self._thread = threading.Thread(target=self._serve, name="tryon-render", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[pyrender.OffscreenRenderer], T]) -> Future:
        """Run ``job(offscreen_renderer)`` on the render thread; a future of its result."""
        future: Future = Future()
        self._jobs.put((job, future))
        return future

    def render(
        self, scene: pyrender.Scene, width: int, height: int, timeout: float | None = None,
        flat: bool = False,
    ) -> np.ndarray:
        """(height, width, 4) uint8 straight RGBA of ``scene`` seen by its main camera;
        ``flat``: unlit, every surface its base colour (a measure of colours, not a picture).

        The scene must not be changed until this returns. Raises ValueError
        for sizes outside 1..MAX_SIZE, TimeoutError after ``timeout`` seconds
        (the job is then dropped unless it has already started).
        """
        width, height = check_size(width, height)
        opaque = scene.bg_color[3] >= 1.0

        def job(offscreen: pyrender.OffscreenRenderer) -> np.ndarray:
            offscreen.viewport_width, offscreen.viewport_height = width, height
            flags = pyrender.RenderFlags.RGBA | (pyrender.RenderFlags.FLAT if flat else 0)
            color, _ = offscreen.render(scene, flags=flags)
            return straight_alpha(np.array(color), opaque)  # np.array: the read-back is read-only

        future = self.submit(job)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def _serve(self) -> None:
        # The renderer lives in this frame for the life of the process and is
        # never deleted: deleting it would terminate the shared EGL display.
        offscreen = None
        while True:
            job, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                if offscreen is None:
                    offscreen = pyrender.OffscreenRenderer(1, 1)
                future.set_result(job(offscreen))
            except BaseException as error:  # the caller, not this thread, handles it
                future.set_exception(error)


_renderer: Renderer | None = None
_renderer_pid: int | None = None
_lock = threading.Lock()


def get_renderer() -> Renderer:
    """This process's renderer, started on first use.

    A forked child gets its own: the parent's render thread does not exist
    in the child.
    """
    global _renderer, _renderer_pid
    with _lock:
        if _renderer is None or _renderer_pid != os.getpid():
            _renderer, _renderer_pid = Renderer(), os.getpid()
        return _renderer
