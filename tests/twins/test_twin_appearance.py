"""A twin with her appearance: a coloured scan with hair volume, fitted under a creation
consent that captures appearance, through the API; rendered in her colours and on her
displaced surface; both sealed; both gone when she withdraws."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

from tests.api.helpers import assert_problem
from tests.twins.conftest import DOCUMENT, SHOP, make_grant
from tests.settings import current_blobs

pytestmark = pytest.mark.slow  # a scan fit, renders

TONE = 4


@pytest.fixture(scope="module")
def coloured_scan():
    """A seeded coloured scan (1 mm noise, floor, clutter) of a random woman with 15 mm of
    hair volume and a scalp of another colour, in millimetres, Y up; and its true texture."""
    from avatars.body_models.registry import get_body_model
    from avatars.scans.synthetic import synthetic_scan, synthetic_skin

    model = get_body_model("female")
    truth = synthetic_skin(model, TONE, seed=3)
    made = synthetic_scan(model, seed=11, sex="female", points=80_000, noise_m=0.001, units="mm",
                          y_up=True, skin=truth, hair_volume_m=0.015)
    return made, truth


def _twin_row(twin_id):
    from tryon.storage.database import session_scope
    from tryon.storage.models import Twin

    with session_scope() as session:
        return session.get(Twin, twin_id)


def _true_scalp_colour(truth) -> np.ndarray:
    """(3,) the one colour ``synthetic_skin`` gives the scalp."""
    from avatars.appearance.face_features import face_features
    from avatars.appearance.uv_layout import rasterize_uv
    from avatars.body_models.registry import get_body_model
    from avatars.hair.scalp import scalp

    model = get_body_model("female")
    features = face_features(model)
    raster = rasterize_uv(features.uvs, model.uv_faces, truth.image.shape[0], features.order)
    return truth.image[np.isin(raster.face, scalp(model).faces) & features.skin][0]


def _consent(client, auth, talent, **fields):
    form = {"talent": talent, "kind": "creation", "obtained_by": "Studio Nord",
            "purpose": "a twin for e-commerce", "pay_basis": "flat", "pay_currency": "EUR",
            "pay_amount_minor": "50000", "starts_at": "2026-01-01", "ends_at": "2030-12-31",
            "scan_retention": "delete", "document": (io.BytesIO(DOCUMENT), "consent.pdf"), **fields}
    form = {name: value for name, value in form.items() if value is not None}  # None: left out
    return client.post("/v1/consents", data=form, headers=auth("studio"),
                       content_type="multipart/form-data")


def test_a_consent_says_whether_appearance_is_captured_and_the_talent_sees_it(client, auth, talent):
    made = _consent(client, auth, talent, captures_appearance="true")
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["captures_appearance"] is True
    shape_only = _consent(client, auth, talent)
    assert shape_only.get_json()["captures_appearance"] is False
    seen = client.get("/v1/consents", headers=auth("talent")).get_json()["consents"]
    assert {c["id"]: c["captures_appearance"] for c in seen} == {
        made.get_json()["id"]: True, shape_only.get_json()["id"]: False}
    use = _consent(client, auth, talent, kind="use", channels="e-commerce", scope_origins=SHOP,
                   scan_retention=None, captures_appearance="true")
    assert_problem(use, 422, "captures_appearance")  # a use grant, valid but for the capture


def test_her_twin_has_her_colours_and_surface_sealed_and_withdrawal_deletes_them(
        client, auth, talent, coloured_scan, twin_env):
    from avatars.appearance.captured import CapturedAppearance
    from tryon.core.colour import delta_e_2000
    from tryon.storage.sealed import unseal
    from tryon.twins.revocation import revoke

    made, truth = coloured_scan
    consent = _consent(client, auth, talent, captures_appearance="true").get_json()["id"]
    answer = client.post("/v1/twins", data={"consent": consent, "skin_tone": str(TONE),
                                            "scan": (io.BytesIO(made.data), made.filename)},
                         headers=auth("studio"), content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    twin = answer.get_json()
    assert twin["status"] == "ready" and twin["appearance"] == "sealed"
    figures = twin["fit"]["appearance"]
    assert "sha256" not in figures
    # the measures: with the displacement, the scan lies on her surface
    assert figures["surface_mm"]["mean"] <= 1.5 and figures["surface_mm"]["p95"] <= 5.0, figures
    assert twin["fit"]["percentiles_mm"]["p95"] > figures["surface_mm"]["p95"]  # the hair, captured
    assert figures["texture"] and figures["seen"] > 0.85
    assert figures["colour_delta_e"] <= 5.0, figures

    # sealed: the blob store holds ciphertext only; the plaintext is her texture and displacement
    row = _twin_row(twin["id"])
    sealed_digest = row.appearance_blob
    root = twin_env["TRYON_BLOB_URL"].removeprefix("file://")
    stored = open(os.path.join(root, row.appearance_blob[:2], row.appearance_blob), "rb").read()
    assert not stored.startswith(b"PK")  # not a readable .npz
    captured = CapturedAppearance.from_bytes(unseal(row.appearance_blob, current_blobs()))
    assert captured.texture.shape == truth.image.shape and captured.displacement_m.max() > 0.008
    assert row.scan_blob is None  # the grant said delete

    # the studio preview: scan beside twin, with the figures
    preview = client.get(twin["preview_url"], headers=auth("studio"))
    assert preview.status_code == 200
    from PIL import Image

    shown = Image.open(io.BytesIO(preview.data))
    assert shown.width > 2 * shown.height  # four panels side by side

    # a render shows her scalp's colour above her forehead, not the painted skin's
    make_grant(talent, "use", scope_origins=[SHOP])
    image = client.get(f"/v1/render?avatar={twin['id']}&width=256&height=384&label=0",
                       headers=auth("shop"))
    assert image.status_code == 200, image.get_data(as_text=True)
    pixels = np.asarray(Image.open(io.BytesIO(image.data)).convert("RGBA"))
    rows = np.nonzero(pixels[..., 3].max(axis=1) > 0)[0]
    top = pixels[rows[0] + 2: rows[0] + 6][..., :3]
    top = top[pixels[rows[0] + 2: rows[0] + 6][..., 3] > 0]
    from avatars.skin_tones import skin_rgb

    hair = _true_scalp_colour(truth)
    assert np.median(delta_e_2000(top, np.broadcast_to(hair, top.shape))) < \
        np.median(delta_e_2000(top, np.broadcast_to(skin_rgb(TONE), top.shape)))

    # withdrawal: her texture and displacement are deleted from the store
    sealed_path = os.path.join(root, sealed_digest[:2], sealed_digest)
    revoke(consent, "I withdraw", "talent", current_blobs())
    row = _twin_row(twin["id"])
    assert row.status == "withdrawn" and row.appearance_blob is None
    assert not os.path.exists(sealed_path)
    assert_problem(client.get(f"/v1/render?avatar={twin['id']}", headers=auth("shop")), 410)


def test_a_shape_only_consent_captures_nothing(client, auth, talent, coloured_scan):
    made, _ = coloured_scan
    consent = _consent(client, auth, talent).get_json()["id"]
    twin = client.post("/v1/twins", data={"consent": consent,
                                          "scan": (io.BytesIO(made.data), made.filename)},
                       headers=auth("studio"), content_type="multipart/form-data").get_json()
    assert twin["status"] == "ready" and twin["appearance"] is None
    assert twin["fit"]["appearance"] is None and _twin_row(twin["id"]).appearance_blob is None


def test_a_withdrawal_whose_deletes_fail_is_finished_by_the_sweep(talent, twin_env):
    """The blob store cannot delete (a directory stands where the sealed file was: a real
    failure, even as root): the revocation fails loudly, her sealed appearance stays
    recorded, and the sweep deletes it once the store works again."""
    import shutil

    from tests.twins.conftest import ready_twin
    from tryon.storage.database import session_scope
    from tryon.storage.models import Twin
    from tryon.storage.sealed import seal
    from tryon.twins.revocation import revoke, sweep

    creation = make_grant(talent, "creation", captures_appearance=True)
    twin_id = ready_twin(talent, creation)
    digest = seal(b"her texture and displacement", current_blobs())
    with session_scope() as session:
        session.get(Twin, twin_id).appearance_blob = digest
    root = twin_env["TRYON_BLOB_URL"].removeprefix("file://")
    path = os.path.join(root, digest[:2], digest)
    os.remove(path)
    os.mkdir(path)  # unlink() of a directory fails
    with pytest.raises(OSError):
        revoke(creation, "I withdraw", "talent", current_blobs())
    row = _twin_row(twin_id)
    assert row.status == "withdrawn" and row.appearance_blob == digest  # not forgotten
    with pytest.raises(OSError):
        sweep(current_blobs())  # still failing: still recorded
    shutil.rmtree(path)
    with open(path, "wb") as f:  # the store works again, the blob is there
        f.write(b"sealed bytes")
    assert sweep(current_blobs()) == [creation]
    assert not os.path.exists(path) and _twin_row(twin_id).appearance_blob is None
    assert sweep(current_blobs()) == []  # closed
