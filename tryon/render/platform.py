"""pyrender, imported for headless EGL: the one place that chooses the GL platform.

PyOpenGL reads ``PYOPENGL_PLATFORM`` once, when it is first imported, so the
choice must be made before anything imports pyrender: every render module
imports pyrender from here. EGL is Mesa's llvmpipe on a CPU and the NVIDIA
driver on a GPU (DESIGN.md, decision 2); an operator's own setting wins.
Mesa's shader cache goes to the data directory, not ``~/.cache``.
"""

from __future__ import annotations

import os

from tryon.core.settings import point_library_caches

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
point_library_caches()

import pyrender  # noqa: E402  (after the platform is chosen)

__all__ = ["pyrender"]
