"""Frames to a video file: MP4 (H.264) or WebM (VP9), encoded in-process with PyAV.

PyAV's wheels carry FFmpeg with libx264 and libvpx, so nothing is installed
on the system and no binary is called. MP4s are written with the index
first (``+faststart``) so that a browser can start playing, and seek with
Range requests, before the whole file has arrived. Colour is BT.709,
limited range, 4:2:0, tagged as such so that players show the sRGB render's
colours.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np

from tryon.render.video_params import check_fps, check_video_format

# Quality, chosen by eye and size on 512x768 try-on clips: a plain studio
# background and a slow-moving body compress well.
_CODECS = {
    "mp4": ("libx264", {"crf": "21", "preset": "veryfast", "movflags": "+faststart"}),
    "webm": ("libvpx-vp9", {"crf": "33", "b": "0", "deadline": "realtime", "cpu-used": "8",
                            "row-mt": "1"}),
}
_CONTAINERS = {"mp4": "mp4", "webm": "webm"}


def encode_video(frames: Iterable[np.ndarray], fps: int, fmt: str = "mp4",
                 metadata: dict[str, str] | None = None) -> bytes:
    """Encode RGB frames into a video file's bytes.

    frames: (H, W, 3) uint8 sRGB images, all of one even size, consumed one
    at a time (a clip need not be held in memory). fps: frames per second.
    fmt: 'mp4' or 'webm'. metadata: container tags (a title, a comment).
    Raises ValueError for an empty clip or frames of differing or odd sizes.
    """
    fmt = check_video_format(fmt)
    fps = check_fps(fps)
    codec, options = _CODECS[fmt]
    # a file, not a BytesIO: +faststart moves the index to the front in a second pass over a named file
    with tempfile.TemporaryDirectory(prefix="tryon-video-") as folder:
        path = Path(folder) / f"clip.{fmt}"
        _encode(frames, fps, fmt, codec, options, metadata, path)
        return path.read_bytes()


def _encode(frames, fps, fmt, codec, options, metadata, path: Path) -> None:
    with av.open(str(path), mode="w", format=_CONTAINERS[fmt],
                 options={"movflags": options["movflags"]} if "movflags" in options else {}) as container:
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        stream = None
        for frame in frames:
            frame = np.ascontiguousarray(frame[..., :3], dtype=np.uint8)
            if stream is None:
                height, width = frame.shape[:2]
                if width % 2 or height % 2:
                    raise ValueError(f"video frames need even sides, got {width}x{height}")
                stream = container.add_stream(codec, rate=fps)
                stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
                stream.options = {k: v for k, v in options.items() if k != "movflags"}
                stream.codec_context.color_primaries = 1  # BT.709
                stream.codec_context.color_trc = 1
                stream.codec_context.colorspace = 1
                stream.codec_context.color_range = 1  # limited (TV) range, what players assume
            elif frame.shape[:2] != (stream.height, stream.width):
                raise ValueError(f"frame of {frame.shape[1]}x{frame.shape[0]} in a "
                                 f"{stream.width}x{stream.height} clip")
            # PyAV converts to the stream's BT.709 4:2:0 itself (converting first, by
            # reformat(), made the file decode 16 levels off in red: measured)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        if stream is None:
            raise ValueError("a video needs at least one frame")
        for packet in stream.encode():
            container.mux(packet)


def poster_frame(data: bytes) -> np.ndarray:
    """(H, W, 3) uint8 RGB: the first frame of an encoded video, the clip's poster."""
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            return frame.to_ndarray(format="rgb24")  # the file says BT.709: decoded as such
    raise ValueError("the video has no frame")
