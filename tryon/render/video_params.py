"""What a video may be asked for: formats, frame rates, lengths and sizes, checked without PyAV.

The API and the content keys validate requests with these; only the job
processes that render and encode import pyrender and PyAV.
"""

from __future__ import annotations

import math
import operator

from tryon.core.errors import Invalid

VIDEO_MEDIA_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
MAX_WIDTH = 1080  # pixels
MAX_HEIGHT = 1920  # pixels: a 9:16 clip 1080 wide
MIN_SIDE = 64  # pixels
FPS_RANGE = (12, 30)  # frames per second
MAX_SECONDS = 10.0
MIN_SECONDS = 1.0


def _integer(name: str, value, low: int, high: int) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        value = operator.index(value)
    except TypeError:
        raise Invalid(f"{name} must be an integer from {low} to {high}, got {value!r}", name) from None
    if not low <= value <= high:
        raise Invalid(f"{name} must be from {low} to {high}, got {value}", name)
    return value


def check_video_size(width, height) -> tuple[int, int]:
    """(width, height): even integers, width 64-1080, height 64-1920 (H.264 and VP9
    sample colour at half resolution, so both sides are even); Invalid otherwise."""
    sizes = []
    for name, value, high in (("width", width, MAX_WIDTH), ("height", height, MAX_HEIGHT)):
        value = _integer(name, value, MIN_SIDE, high)
        if value % 2:
            raise Invalid(f"{name} must be even (video is encoded in 2x2 colour blocks), got {value}", name)
        sizes.append(value)
    return sizes[0], sizes[1]


def check_fps(fps) -> int:
    """Frames per second, an integer from 12 to 30; Invalid otherwise."""
    return _integer("fps", fps, *FPS_RANGE)


def check_seconds(seconds) -> float:
    """A clip's length, 1-10 s, rounded to a tenth of a second; Invalid otherwise."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise Invalid(f"seconds must be a number from {MIN_SECONDS:g} to {MAX_SECONDS:g}, "
                      f"got {seconds!r}", "seconds") from None
    if not math.isfinite(value) or not MIN_SECONDS <= value <= MAX_SECONDS:
        raise Invalid(f"seconds must be from {MIN_SECONDS:g} to {MAX_SECONDS:g}, got {seconds!r}",
                      "seconds")
    return round(value, 1)


def check_video_format(fmt) -> str:
    """'mp4' (H.264) or 'webm' (VP9); Invalid otherwise."""
    name = str(fmt).lower()
    if name not in VIDEO_MEDIA_TYPES:
        raise Invalid(f"unknown video format {fmt!r}; choose one of {', '.join(VIDEO_MEDIA_TYPES)}",
                      "format")
    return name
