"""/v1/video, /v1/video/poster and /v1/motions: clips made by jobs, served with Range requests."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.api.helpers import assert_problem, poll_job
from tests.settings import configure, current_garments

pytestmark = pytest.mark.slow  # renders, drapes and encodes

BVH_FILES = Path(__file__).parents[1] / "avatars" / "motion" / "files"


@pytest.fixture()
def vclient(app, tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(app, RENDER_BUDGET_S=0)
    return app.test_client()


def _skirt() -> str:
    return next(g.id for g in current_garments().list() if g.name == "A-line skirt")


def _url(path: str = "/v1/video", **extra) -> str:
    query = {"avatar": "f165-eu40", "garment": _skirt(), "size": "M", "width": 128, "height": 192,
             "seconds": 2, "fps": 12, **extra}
    return path + "?" + "&".join(f"{k}={v}" for k, v in query.items() if v is not None)


def _decoded(data: bytes) -> tuple[list[np.ndarray], av.video.stream.VideoStream, float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, stream, container.duration / av.time_base


def _made(client, url: str, headers: dict):
    """The answer to ``url`` once its job is done (checking the job's frame progress)."""
    queued = client.get(url, headers=headers)
    assert queued.status_code == 202, queued.get_data(as_text=True)
    job = poll_job(client, queued.headers["Location"], headers)
    assert job["status"] == "done", job
    assert job["progress"]["done"] == job["progress"]["total"] > 1  # frames counted, not one step
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def test_a_turntable_video_decodes_back_and_answers_range_requests(vclient, auth):
    headers = auth("publishable")
    video = _made(vclient, _url(), headers)
    assert video.mimetype == "video/mp4" and video.headers["Accept-Ranges"] == "bytes"
    assert video.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    frames, stream, duration = _decoded(video.data)
    assert len(frames) == 24 and stream.average_rate == 12 and abs(duration - 2.0) < 0.01
    assert frames[0].shape == (192, 128, 3) and stream.codec_context.name == "h264"
    # the camera goes round: the side view differs from the front
    assert float(np.abs(frames[6].astype(int) - frames[0]).mean()) > 3
    # one framing: the figure's head and feet stay on the same rows all the way round
    rows = [np.flatnonzero((frame < 200).any(axis=2).any(axis=1)) for frame in frames]
    assert all(len(r) > 0.6 * 192 for r in rows)  # a body, not an empty studio
    tops, bottoms = [int(r[0]) for r in rows], [int(r[-1]) for r in rows]
    assert max(tops) - min(tops) <= 3 and max(bottoms) - min(bottoms) <= 3, (tops, bottoms)

    part = vclient.get(_url(), headers={**headers, "Range": "bytes=100-299"})
    assert part.status_code == 206 and part.data == video.data[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(video.data)}"
    tail = vclient.get(_url(), headers={**headers, "Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == video.data[-50:]
    assert_problem(vclient.get(_url(), headers={**headers, "Range": f"bytes={len(video.data) + 10}-"}),
                   416, "Range")
    again = vclient.get(_url(), headers={**headers, "If-None-Match": video.headers["ETag"]})
    assert again.status_code == 304

    poster = vclient.get(_url("/v1/video/poster"), headers=headers)
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg"
    first = np.asarray(Image.open(io.BytesIO(poster.data)).convert("RGB"), dtype=int)
    assert np.abs(first - frames[0]).mean() < 4  # the first frame, as a JPEG


def test_a_walk_in_webm_moves_the_body_and_the_skirt(vclient, auth):
    headers = auth("publishable")
    video = _made(vclient, _url(motion="walk", format="webm"), headers)
    assert video.mimetype == "video/webm"
    frames, stream, _ = _decoded(video.data)
    assert len(frames) == 24 and stream.codec_context.name == "vp9"
    # a fixed camera: what moves between frames is the body and its skirt
    changes = [np.abs(frames[k + 1].astype(int) - frames[k]).mean() for k in range(len(frames) - 1)]
    assert min(changes[8:]) > 0.2, changes


def test_bad_video_requests_are_problems_not_jobs(vclient, auth):
    headers = auth("publishable")
    for extra, field in [({"width": 127}, "width"), ({"width": 2000}, "width"), ({"seconds": 11}, "seconds"),
                         ({"fps": 60}, "fps"), ({"motion": "moonwalk"}, "motion"),
                         ({"format": "gif"}, "format"), ({"size": "XXXL"}, "size")]:
        assert_problem(vclient.get(_url(**extra), headers=headers), 422, field)
    assert_problem(vclient.get(_url(motion="bvh-" + "0" * 64), headers=headers), 404, "motion")
    assert_problem(vclient.get(_url(avatar="nobody"), headers=headers), 404, "avatar")


def test_a_studio_motion_is_uploaded_once_and_drives_a_video(vclient, auth):
    data = (BVH_FILES / "cmu_walk_cm.bvh").read_bytes()
    made = vclient.post("/v1/motions", data={"file": (io.BytesIO(data), "walk.bvh")},
                        headers=auth("merchant"))
    assert made.status_code == 201, made.get_data(as_text=True)
    motion = made.get_json()
    assert motion["id"].startswith("bvh-") and motion["frames"] > 1 and motion["unit"] == "cm"
    again = vclient.post("/v1/motions", data={"file": (io.BytesIO(data), "walk.bvh")},
                         headers=auth("merchant"))
    assert again.status_code == 200 and again.get_json()["id"] == motion["id"]
    assert vclient.get(f"/v1/motions/{motion['id']}", headers=auth("publishable")).get_json() == motion

    broken = data.replace(b"Frame Time", b"Frame Tim", 1)
    problem = assert_problem(vclient.post("/v1/motions", data={"file": (io.BytesIO(broken), "x.bvh")},
                                          headers=auth("merchant")), 422, "motion")
    assert "line" in problem["detail"]
    assert_problem(vclient.post("/v1/motions", data={"file": (io.BytesIO(data), "walk.bvh")},
                                headers=auth("publishable")), 403)

    video = _made(vclient, _url(motion=motion["id"], garment=None, size=None), auth("publishable"))
    frames, _, _ = _decoded(video.data)
    assert len(frames) == 24
