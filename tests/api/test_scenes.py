"""/v1/scene.usdz (AR Quick Look) and /v1/scene.glb?motion= (an animated GLB): jobs like renders."""

from __future__ import annotations

import io
import zipfile

import pygltflib
import pytest

from tests.api.helpers import assert_problem, poll_job
from tests.settings import configure, current_garments

pytestmark = pytest.mark.slow  # drapes, exports and a cloth simulation


@pytest.fixture()
def sclient(app, tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(app, RENDER_BUDGET_S=0)
    return app.test_client()


def _dress() -> str:
    return next(g.id for g in current_garments().list() if g.name == "Midi dress")


def _made(client, url: str, headers: dict):
    queued = client.get(url, headers=headers)
    assert queued.status_code == 202, queued.get_data(as_text=True)
    assert poll_job(client, queued.headers["Location"], headers)["status"] == "done"
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def test_a_usdz_of_the_draped_scene_in_a_colorway(sclient, auth):
    headers = auth("publishable")
    colorway = current_garments().get(_dress()).colorways[-1]["id"]
    url = f"/v1/scene.usdz?avatar=f165-eu40&garment={_dress()}&size=M&colorway={colorway}"
    usdz = _made(sclient, url, headers)
    assert usdz.mimetype == "model/vnd.usdz+zip"
    with zipfile.ZipFile(io.BytesIO(usdz.data)) as package:
        names = package.namelist()
        assert names[0].endswith(".usdc")  # AR Quick Look reads the first layer
        assert all(info.compress_type == zipfile.ZIP_STORED for info in package.infolist())
    plain = _made(sclient, f"/v1/scene.usdz?avatar=f165-eu40&garment={_dress()}&size=M", headers)
    assert plain.headers["ETag"] != usdz.headers["ETag"]
    assert_problem(sclient.get(url.replace(colorway, "no-such-colour"), headers=headers), 404)
    assert_problem(sclient.get(f"/v1/scene.usdz?avatar=f165-eu40&colorway={colorway}", headers=headers),
                   422, "colorway")


def test_an_animated_glb_of_a_walk(sclient, auth):
    headers = auth("publishable")
    url = f"/v1/scene.glb?avatar=f165-eu40&garment={_dress()}&size=M&motion=walk&seconds=1"
    glb = _made(sclient, url, headers)
    assert glb.mimetype == "model/gltf-binary" and glb.data[:4] == b"glTF"
    gltf = pygltflib.GLTF2.load_from_bytes(glb.data)
    (animation,) = gltf.animations
    times = gltf.accessors[animation.samplers[0].input]
    assert times.max == [pytest.approx(1.0, abs=0.05)]
    still = _made(sclient, f"/v1/scene.glb?avatar=f165-eu40&garment={_dress()}&size=M", headers)
    assert not pygltflib.GLTF2.load_from_bytes(still.data).animations
    assert_problem(sclient.get(url.replace("walk", "moonwalk"), headers=headers), 422, "motion")
    assert_problem(sclient.get(url.replace("seconds=1", "seconds=30"), headers=headers), 422, "seconds")
    assert_problem(sclient.get(url.replace("motion=walk", "motion=bvh-" + "a" * 64), headers=headers),
                   404, "motion")
