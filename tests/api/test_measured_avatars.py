"""Bodies made from measurements live in the database: any process finds, fits and renders them."""

from __future__ import annotations

import pytest

import os
import subprocess
import sys

from tests.api.helpers import assert_problem, fit_answer
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

PNG = b"\x89PNG\r\n\x1a\n"
BODY = {"height": 168, "waist": 74, "hips": 99, "sex": "female", "skin_tone": 3}


def _skirt_id() -> str:
    return next(g for g in current_garments().list() if g.name == "A-line skirt").id


def _rows() -> list:
    from tryon.storage.database import session_scope
    from tryon.storage.models import MeasuredAvatar

    with session_scope() as session:
        return [(r.id, dict(r.data)) for r in session.query(MeasuredAvatar).all()]


def test_post_stores_once_and_a_fresh_app_gets_fits_and_renders_it(app, auth, tmp_path, monkeypatch):
    from api import create_app
    from api.extensions import shutdown_job_queue

    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    headers = auth("publishable")
    made = app.test_client().post("/v1/avatars", json=BODY, headers=headers)
    assert made.status_code == 201
    avatar = made.get_json()
    again = app.test_client().post("/v1/avatars", json=BODY, headers=auth("merchant"))
    assert again.status_code == 201 and again.get_json()["id"] == avatar["id"]
    rows = _rows()
    assert [r[0] for r in rows] == [avatar["id"]]  # idempotent: one row for equal measurements
    assert len(rows[0][1]["shape"]) > 0 and rows[0][1]["measurements"] == avatar["measurements"]
    shutdown_job_queue(app)

    # a second app (own job queue, nothing in memory shared) on the same database
    fresh = create_app({"TESTING": True,
                        "RATELIMIT_STORAGE_URI": app.config["RATELIMIT_STORAGE_URI"]})
    fresh.config["RENDER_BUDGET_S"] = 600
    try:
        client = fresh.test_client()
        got = client.get(f"/v1/avatars/{avatar['id']}", headers=headers)
        assert got.status_code == 200 and got.get_json()["measurements"] == avatar["measurements"]
        assert got.get_json()["skin_tone"] == 3
        skirt = _skirt_id()
        fit = fit_answer(client, f"/v1/fit?avatar={avatar['id']}&garment={skirt}&size=M", headers)
        assert fit.status_code == 200 and fit.get_json()["avatar"] == avatar["id"]
        assert fit.get_json()["regions"]
        image = client.get(f"/v1/render?avatar={avatar['id']}&garment={skirt}&size=M"
                           "&width=32&height=48", headers=headers)
        assert image.status_code == 200, image.get_data(as_text=True)
        assert image.mimetype == "image/png" and image.data.startswith(PNG)
        assert_problem(client.get("/v1/render?avatar=m-0000000000000000&width=32&height=48",
                                  headers=headers), 404, "avatar")
        assert_problem(client.get("/v1/avatars/m-0000000000000000", headers=headers), 404, "avatar_id")
    finally:
        shutdown_job_queue(fresh)


def test_another_process_resolves_a_measured_avatar(app, auth):
    avatar = app.test_client().post("/v1/avatars", json=BODY, headers=auth("merchant")).get_json()
    code = ("import json, sys; from tryon.outputs.avatar_lookup import resolve_avatar; "
            "a = resolve_avatar(sys.argv[1]); print(json.dumps([a.id, a.skin_tone, len(a.shape)]))")
    out = subprocess.run([sys.executable, "-c", code, avatar["id"]], env=dict(os.environ),
                         capture_output=True, text=True, timeout=300, check=True).stdout
    found_id, tone, shape_len = __import__("json").loads(out.strip().splitlines()[-1])
    assert found_id == avatar["id"] and tone == 3 and shape_len > 0
