"""Videos of twins: content credentials inside the MP4 (a sidecar for WebM), one ledger entry
per view whatever Range requests a player makes, never cached publicly, gone on revocation."""

from __future__ import annotations

import io
import subprocess
import sys

import av
import pytest

from tests.api.helpers import assert_problem
from tests.twins.conftest import cli_env
from tests.settings import current_blobs

pytestmark = pytest.mark.slow  # fits, drapes, renders and encodes

CLIP = "seconds=1&fps=12&width=64&height=96"


def _ledger() -> list:
    from tryon.storage.database import session_scope
    from tryon.storage.models import UsageEntry

    with session_scope() as session:
        return session.query(UsageEntry).order_by(UsageEntry.seq).all()


def _outputs(twin_id: str) -> list[tuple[str, str]]:
    from tryon.storage.database import session_scope
    from tryon.storage.models import TwinOutput

    with session_scope() as session:
        return [(r.kind, r.digest) for r in session.query(TwinOutput).filter_by(twin_id=twin_id)]


def test_a_twin_video_carries_credentials_is_ledgered_per_view_and_goes_on_revocation(
        client, auth, twin, twin_env):
    from tryon.twins.credentials import DIGITAL_SOURCE_TYPE, read_credentials

    url = f"/v1/video?avatar={twin['id']}&{CLIP}"
    video = client.get(url, headers=auth("shop"))
    assert video.status_code == 200, video.get_data(as_text=True)
    assert video.mimetype == "video/mp4" and video.headers["Cache-Control"] == "private, no-cache"
    found = read_credentials(video.data, "video/mp4")["c2pa"]
    assert found["validation_state"] in ("Valid", "Trusted")
    assert found["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert found["replica"]["twin"] == twin["id"] and found["replica"]["consent_grant"] == twin["creation"]
    assert "video" in found["replica"]["statement"]
    with av.open(io.BytesIO(video.data)) as container:  # the signed file still plays
        assert sum(1 for _ in container.decode(video=0)) == 12
    assert [e.kind for e in _ledger()] == ["video"]

    # a player: the first bytes, then seeking; one view, one entry
    start = client.get(url, headers={**auth("shop"), "Range": "bytes=0-"})
    assert start.status_code == 206 and start.data == video.data
    seek = client.get(url, headers={**auth("shop"), "Range": "bytes=1000-1999"})
    assert seek.status_code == 206 and seek.data == video.data[1000:2000]
    assert seek.headers["Cache-Control"] == "private, no-cache"
    assert [e.kind for e in _ledger()] == ["video", "video"]
    assert _ledger()[-1].content_hash == _ledger()[0].content_hash

    poster = client.get(f"/v1/video/poster?avatar={twin['id']}&{CLIP}", headers=auth("shop"))
    assert poster.status_code == 200 and poster.mimetype == "image/jpeg"
    assert read_credentials(poster.data)["c2pa"]["replica"]["twin"] == twin["id"]
    assert len(_ledger()) == 2  # the poster is part of the view, not a use of its own

    webm = client.get(url + "&format=webm", headers=auth("shop"))
    assert webm.status_code == 200 and webm.mimetype == "video/webm"
    link = webm.headers["Link"]
    assert link.endswith('rel="c2pa-manifest"')
    manifest = client.get(link[1:link.index(">")], headers=auth("shop"))
    from tryon.twins.sidecar import read_sidecar

    assert read_sidecar(webm.data, manifest.data, "webm")["replica"]["twin"] == twin["id"]
    assert_problem(client.get(url, headers=auth("other_shop")), 403, "avatar")

    stored = [d for kind, d in _outputs(twin["id"]) if kind != "preview"]
    assert {kind for kind, _ in _outputs(twin["id"])} >= {"video", "video-c2pa", "render"}
    out = subprocess.run([sys.executable, "-m", "tryon.cli", "consent", "revoke", twin["use"],
                          "--reason", "Campaign over", "--by", "talent"], env=cli_env(twin_env),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    gone = assert_problem(client.get(url, headers={**auth("shop"), "Range": "bytes=0-"}), 410, "avatar")
    assert "Campaign over" in gone["detail"]
    assert_problem(client.get(f"/v1/video/poster?avatar={twin['id']}&{CLIP}", headers=auth("shop")), 410)
    assert [kind for kind, _ in _outputs(twin["id"])] == ["preview"]
    assert not any(current_blobs().exists(d) for d in stored)
