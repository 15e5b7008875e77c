"""Serving twins: renders, GLBs, blobs and fit reports only under consent, ledgered,
never cached publicly; revocation effective at once across processes, the cache and jobs."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys

import pytest

from tests.api.helpers import assert_problem, fit_answer
from tests.twins.conftest import SHOP, cli_env
from tests.settings import current_blobs, current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

SMALL = "width=48&height=72"


def _ledger() -> list:
    from tryon.storage.database import session_scope
    from tryon.storage.models import UsageEntry

    with session_scope() as session:
        return session.query(UsageEntry).order_by(UsageEntry.seq).all()


def _outputs(twin_id: str) -> list:
    from tryon.storage.database import session_scope
    from tryon.storage.models import RenderRecord, TwinOutput

    with session_scope() as session:
        rows = session.query(TwinOutput).filter_by(twin_id=twin_id).all()
        return [(r.kind, r.digest, session.get(RenderRecord, r.cache_key)) for r in rows]


def _skirt() -> str:
    return next(g.id for g in current_garments().list() if g.name == "A-line skirt")


def test_a_twin_render_is_credentialed_private_and_ledgered(client, auth, twin, keys):
    from tryon.twins.credentials import DIGITAL_SOURCE_TYPE, read_credentials

    url = f"/v1/render?avatar={twin['id']}&{SMALL}"
    image = client.get(url, headers=auth("shop"))
    assert image.status_code == 200, image.get_data(as_text=True)
    assert image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "private, no-cache"  # never public, immutable
    found = read_credentials(image.data)["c2pa"]
    assert found["validation_state"] in ("Valid", "Trusted")
    assert found["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert found["replica"] == {"twin": twin["id"], "consent_grant": twin["creation"],
                                "computer_generated": True, "statement": found["replica"]["statement"]}

    (entry,) = _ledger()
    assert (entry.twin_id, entry.grant_id, entry.kind, entry.channel, entry.origin) == (
        twin["id"], twin["use"], "render", "e-commerce", SHOP)
    assert entry.api_key_id == keys["shop"][0]
    assert entry.content_hash == hashlib.sha256(image.data).hexdigest()
    # the stored bytes say their digest (RFC 9530), which the ledger takes as it is
    assert image.headers["Repr-Digest"] == (
        f"sha-256=:{base64.b64encode(hashlib.sha256(image.data).digest()).decode()}:")
    # a twin is shown as she was captured: no other hair (and no use recorded for the refusal)
    assert_problem(client.get(url + "&hair=bob", headers=auth("shop")), 422, "hair")
    assert len(_ledger()) == 1

    again = client.get(url, headers={**auth("shop"), "If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "private, no-cache"
    hit = client.get(url, headers=auth("merchant"))  # a cache hit, by key id
    assert hit.status_code == 200 and hit.data == image.data
    assert [e.kind for e in _ledger()] == ["render"] * 3
    assert {e.content_hash for e in _ledger()} == {entry.content_hash}
    assert _ledger()[2].api_key_id == keys["merchant"][0] and _ledger()[2].origin is None

    assert_problem(client.get(url, headers=auth("other_shop")), 403, "avatar")
    assert_problem(client.get(url + "&channel=ads", headers=auth("shop")), 403, "avatar")
    assert_problem(client.get(url + "&channel=print", headers=auth("shop")), 422, "channel")
    assert len(_ledger()) == 3  # refusals are no use

    library = client.get(f"/v1/render?avatar=f165-eu40&{SMALL}", headers=auth("shop"))
    assert "immutable" in library.headers["Cache-Control"]
    assert read_credentials(library.data)["c2pa"] is None  # only twins, unless configured


def test_a_twin_render_says_visibly_that_it_is_a_replica_unless_asked_not_to(client, auth,
                                                                           twin):
    import io

    import numpy as np
    from PIL import Image

    def bottom_rows(url: str) -> np.ndarray:
        image = client.get(url, headers=auth("shop"))
        assert image.status_code == 200, image.get_data(as_text=True)
        rgb = np.asarray(Image.open(io.BytesIO(image.data)).convert("RGBA"))
        return rgb[-8:], image.headers["ETag"]

    base = "/v1/render?width=256&height=384&background=ffffff"
    labelled, labelled_key = bottom_rows(f"{base}&avatar={twin['id']}")
    plain, plain_key = bottom_rows(f"{base}&avatar={twin['id']}&label=0")
    assert labelled_key != plain_key
    assert labelled[..., :3].mean() < 120 < plain[..., :3].mean()  # the dark band, or white floor
    library, _ = bottom_rows(f"{base}&avatar=f165-eu40")  # not a twin: no label by default
    assert library[..., :3].mean() > 120
    asked, _ = bottom_rows(f"{base}&avatar=f165-eu40&label=1")
    assert asked[..., :3].mean() < 120


def _assert_glb_has_sidecar_credentials(client, auth, twin, glb) -> None:
    """A twin's GLB links its content credentials: a sidecar manifest bound to its bytes."""
    import re

    from tryon.twins.credentials import DIGITAL_SOURCE_TYPE
    from tryon.twins.sidecar import read_sidecar

    link = re.fullmatch(r'</v1/blobs/([0-9a-f]{64})>; rel="c2pa-manifest"', glb.headers["Link"])
    sidecar_url = f"/v1/blobs/{link.group(1)}"
    uses = len(_ledger())
    sidecar = client.get(sidecar_url, headers=auth("shop"))
    assert sidecar.status_code == 200 and sidecar.mimetype == "application/c2pa"
    assert sidecar.headers["Cache-Control"] == "private, no-cache" and len(_ledger()) == uses
    found = read_sidecar(glb.data, sidecar.data)
    assert found["validation_state"] in ("Valid", "Trusted"), found["validation_status"]
    assert found["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert found["replica"]["twin"] == twin["id"] and "3D model" in found["replica"]["statement"]
    tampered = read_sidecar(glb.data[:-4] + b"    ", sidecar.data)
    assert tampered["validation_state"] == "Invalid"
    assert "assertion.dataHash.mismatch" in {s["code"] for s in tampered["validation_status"]}
    assert_problem(client.get(sidecar_url, headers=auth("other_shop")), 403, "digest")
    by_digest = client.get(f"/v1/blobs/{hashlib.sha256(glb.data).hexdigest()}", headers=auth("shop"))
    assert by_digest.status_code == 200 and by_digest.headers["Link"] == glb.headers["Link"]
    library = client.get("/v1/scene.glb?avatar=f165-eu40", headers=auth("shop"))
    assert library.status_code == 200 and "Link" not in library.headers  # only twins'


def test_glb_blob_and_fit_of_a_twin(client, auth, twin):
    skirt = _skirt()
    glb = client.get(f"/v1/scene.glb?avatar={twin['id']}", headers=auth("shop"))
    assert glb.status_code == 200 and glb.data[:4] == b"glTF"
    assert glb.headers["Cache-Control"] == "private, no-cache"
    assert _ledger()[-1].kind == "glb"
    _assert_glb_has_sidecar_credentials(client, auth, twin, glb)

    image = client.get(f"/v1/render?avatar={twin['id']}&{SMALL}", headers=auth("shop"))
    digest = hashlib.sha256(image.data).hexdigest()
    blob = client.get(f"/v1/blobs/{digest}", headers=auth("shop"))
    assert blob.status_code == 200 and blob.data == image.data
    assert blob.headers["Cache-Control"] == "private, no-cache"
    assert _ledger()[-1].kind == "render" and _ledger()[-1].content_hash == digest
    assert_problem(client.get(f"/v1/blobs/{digest}", headers=auth("other_shop")), 403, "digest")

    fit = fit_answer(client, f"/v1/fit?avatar={twin['id']}&garment={skirt}&size=M", auth("shop"))
    assert fit.status_code == 200, fit.get_data(as_text=True)
    assert fit.get_json()["avatar"] == twin["id"] and fit.headers["Cache-Control"] == "private, no-cache"
    assert_problem(client.get(f"/v1/fit?avatar={twin['id']}&garment={skirt}&size=M",
                              headers=auth("other_shop")), 403)
    assert {kind for kind, _, _ in _outputs(twin["id"])} == {"preview", "render", "scene",
                                                             "scene-c2pa", "fit"}


def test_revocation_in_another_process_stops_everything_at_once(client, auth, twin, twin_env):
    skirt = _skirt()
    url = f"/v1/render?avatar={twin['id']}&{SMALL}"
    image = client.get(url, headers=auth("shop"))
    assert image.status_code == 200
    assert client.get(f"/v1/scene.glb?avatar={twin['id']}", headers=auth("shop")).status_code == 200
    assert fit_answer(client, f"/v1/fit?avatar={twin['id']}&garment={skirt}&size=M",
                      auth("shop")).status_code == 200
    stored = [(kind, digest, record) for kind, digest, record in _outputs(twin["id"])]
    digests = {d for _, d, _ in stored}
    # preview, render, GLB and its sidecar, and a fit report of every size (the advice reads all)
    sizes = len(current_garments().get(skirt).sizes)
    assert len(digests) == 4 + sizes and all(current_blobs().exists(d) for d in digests)

    # the talent revokes through the command line: another process, no shared memory
    out = subprocess.run([sys.executable, "-m", "tryon.cli", "consent", "revoke", twin["use"],
                          "--reason", "Brand dispute", "--by", "talent"], env=cli_env(twin_env),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr

    gone = assert_problem(client.get(url, headers=auth("shop")), 410, "avatar")
    assert "Brand dispute" in gone["detail"] and gone["consent"] == twin["use"]
    assert_problem(client.get(url, headers={**auth("shop"), "If-None-Match": image.headers["ETag"]}),
                   410)
    assert_problem(client.get(f"/v1/scene.glb?avatar={twin['id']}", headers=auth("shop")), 410)
    assert_problem(client.get(f"/v1/fit?avatar={twin['id']}&garment={skirt}&size=M",
                              headers=auth("shop")), 410)
    assert_problem(client.get(f"/v1/blobs/{hashlib.sha256(image.data).hexdigest()}",
                              headers=auth("shop")), 404)
    assert twin["id"] not in {a["id"] for a in client.get(
        "/v1/avatars", headers=auth("shop")).get_json()["avatars"]}
    # renders, GLB and fit report deleted from the store and the index; the preview stays
    # (the creation consent still holds)
    left = _outputs(twin["id"])
    assert [kind for kind, _, _ in left] == ["preview"]
    for kind, digest, _ in stored:
        assert current_blobs().exists(digest) == (kind == "preview"), kind
    before = len(_ledger())
    client.get(url, headers=auth("shop"))
    assert len(_ledger()) == before


def test_the_render_task_refuses_a_twin_whose_consent_ended(client, auth, twin, twin_env):
    """A worker process running a twin's render after revocation fails, storing nothing."""
    from tryon.twins.revocation import revoke

    revoke(twin["use"], "stop", "talent", current_blobs())
    code = ("import sys; from tryon.outputs.tasks import run_render\n"
            "from tryon.core.settings import settings\n"
            "try:\n    run_render({'avatar': sys.argv[1], 'width': 32, 'height': 48}, settings())\n"
            "except Exception as e:\n    print(type(e).__name__, e); sys.exit(3)\n")
    out = subprocess.run([sys.executable, "-c", code, twin["id"]], env=cli_env(twin_env),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 3 and "ConsentEnded" in out.stdout, out.stdout + out.stderr
    assert [kind for kind, _, _ in _outputs(twin["id"])] == ["preview"]


def test_a_revocation_during_a_render_leaves_nothing_stored(twin, twin_env):
    """The task checks consent right before storing: a revocation that lands while the
    image is being made fails the job and leaves no blob, index entry or mapping."""
    from tryon.core.errors import ConsentEnded
    from tryon.outputs.stored import stored_output
    from tryon.twins.revocation import revoke

    made = {}

    def make() -> bytes:
        revoke(twin["use"], "changed my mind mid-render", "talent", current_blobs())
        made["bytes"] = b"\x89PNG fake but unique " + os.urandom(8)
        return made["bytes"]

    with pytest.raises(ConsentEnded):
        stored_output("a" * 64, "image/png", make, current_blobs(), twin["id"], "render")
    assert not current_blobs().exists(hashlib.sha256(made["bytes"]).hexdigest())
    assert [kind for kind, _, _ in _outputs(twin["id"])] == ["preview"]


def test_a_queued_render_job_of_a_twin_fails_when_consent_ends(client, auth, twin):
    """A render queued before a revocation fails with the reason instead of running."""
    from api.extensions import job_queue
    from tryon.twins.revocation import revoke

    with client.application.app_context():
        queue = job_queue()
    from tryon.storage.database import session_scope
    from tryon.storage.models import Job

    with session_scope() as session:  # queued, not yet dispatched to a runner
        job = Job(kind="render", params={"avatar": twin["id"], "width": 32, "height": 48},
                  status="queued")
        session.add(job)
    revoke(twin["use"], "no more renders", "talent", current_blobs())
    done = queue.get(job.id)
    assert done.status == "failed" and "no active consent" in done.error


def test_catalog_renders_of_a_twin_are_uses_of_the_merchants_consent(client, auth, twin, keys):
    from tests.api.helpers import poll_job

    body = {"garments": [_skirt()], "avatars": [twin["id"]], "sizes": ["M"], "width": 48,
            "height": 72}
    for attempt in (1, 2):  # rendered, then already stored: each batch is a use
        made = client.post("/v1/catalog/prerender", json=body, headers=auth("merchant"))
        assert made.status_code == 202, made.get_data(as_text=True)
        batch = poll_job(client, made.headers["Location"], auth("merchant"), timeout=600)
        assert batch["status"] == "done" and not batch["failed"], batch
        catalog = [e for e in _ledger() if e.kind == "catalog-render"]
        assert len(catalog) == attempt
        assert (catalog[-1].api_key_id, catalog[-1].grant_id) == (keys["merchant"][0], twin["use"])
    assert_problem(client.post("/v1/catalog/prerender", json={**body, "channel": "ads"},
                               headers=auth("merchant")), 403, "avatars")
    client.post(f"/v1/consents/{twin['use']}/revoke", json={"reason": "over"}, headers=auth("talent"))
    assert_problem(client.post("/v1/catalog/prerender", json=body, headers=auth("merchant")), 410,
                   "avatars")


def test_a_catalog_use_no_consent_covers_at_ledgering_fails_its_render_not_the_request(
        client, app, auth, twin, keys):
    """The route allowed the batch; by the time its stored render is ledgered no consent
    covers the use (here: the ads channel, which the use grant does not name). That
    render fails with the reason, nothing is ledgered for it, and nothing is a 500."""
    from api.extensions import garment_store, job_queue
    from tests.api.helpers import poll_job
    from tryon.outputs.catalog import create_prerender_batch, plan_renders

    body = {"garments": [_skirt()], "avatars": [twin["id"]], "sizes": ["M"], "width": 48,
            "height": 72}
    made = client.post("/v1/catalog/prerender", json=body, headers=auth("merchant"))
    assert poll_job(client, made.headers["Location"], auth("merchant"), timeout=600)["status"] == "done"
    uses = len(_ledger())
    renders = [{**r, "ledger": {"key": keys["merchant"][0], "origin": None, "channel": "ads"}}
               for r in plan_renders({_skirt(): ["M"]}, [twin["id"]], ["front"], 48, 72, "png")]
    with app.app_context():
        batch_id = create_prerender_batch(job_queue(), renders, garments=garment_store())
    batch = client.get(f"/v1/jobs/{batch_id}", headers=auth("merchant")).get_json()
    assert batch["status"] == "done" and len(batch["failed"]) == 1, batch
    assert batch["failed"][0]["error_code"] in ("consent_required", "consent_ended"), batch
    assert len(_ledger()) == uses


def test_routes_that_do_not_check_consent_never_reach_a_twin(client, auth, twin):
    """The unauthenticated gallery renders any avatar id it is given, but not a twin."""
    response = client.get(f"/avatars/{twin['id']}/render.png?width=32&height=48")
    assert response.status_code == 404
    assert _ledger() == []


def test_a_server_key_cannot_claim_a_storefront_grant_by_sending_its_origin(client, auth, twin):
    """The use grant covers SHOP's storefront; a key not bound to origins may send
    any Origin header, so its Origin must not count."""
    spoofed = {**auth("admin"), "Origin": SHOP}
    response = client.get(f"/v1/render?avatar={twin['id']}&width=32&height=48", headers=spoofed)
    assert response.status_code == 403, response.get_data(as_text=True)
    listed = client.get("/v1/avatars", headers=spoofed).get_json()["avatars"]
    assert twin["id"] not in {a["id"] for a in listed}
    assert _ledger() == []
