"""Fixtures for digital twins: a fresh database, blob store and sealing key per test;
models, consent grants and twins made through the real modules.

The body model, library and garments come from the prepared data directory.
``ready_twin`` writes a twin whose body is a library avatar's, so tests of
consent, serving and the ledger need not fit a scan (about a minute);
``tests/twins/test_twin_creation.py`` fits real synthetic scans.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.settings import current_blobs

SHOP = "https://shop.example.com"
OTHER_SHOP = "https://other.example.com"
DOCUMENT = b"%PDF-1.4\n% signed consent of the model, test document\n"


@pytest.fixture()
def twin_env(fresh_database, tmp_path, monkeypatch) -> dict[str, str]:
    """A fresh SQLite database, blob folder and sealing key, set in the environment
    (so subprocesses share them)."""
    env = {"TRYON_DATABASE_URL": fresh_database,
           "TRYON_BLOB_URL": f"file://{tmp_path / 'blobs'}",
           "TRYON_SEAL_KEY_FILE": str(tmp_path / "keys" / "seal.key")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    monkeypatch.delenv("TRYON_SEAL_KEY", raising=False)
    return env


@pytest.fixture()
def app_config(twin_env) -> dict:
    """Twin apps wait long enough for a render (300 s) and a scan fit (900 s)."""
    return {"RENDER_BUDGET_S": 300, "TWIN_BUDGET_S": 900}


@pytest.fixture()
def talent(twin_env) -> str:
    from tryon.twins.consent import create_talent
    from tryon.storage.database import session_scope

    with session_scope() as session:
        return create_talent(session, "Ada Model").id


@pytest.fixture()
def keys(twin_env, talent) -> dict[str, tuple[int, str]]:
    """(key id, plaintext) by name: shop (publishable, SHOP), other_shop (publishable,
    OTHER_SHOP), merchant, studio, admin, talent (bound to ``talent``)."""
    from tryon.twins.consent import bind_talent_key
    from tryon.storage.api_keys import create_key
    from tryon.storage.database import session_scope

    made = {}
    with session_scope() as session:
        for name, role, origins in (("shop", "publishable", [SHOP]),
                                    ("other_shop", "publishable", [OTHER_SHOP]),
                                    ("merchant", "merchant", []), ("studio", "studio", []),
                                    ("admin", "admin", []), ("talent", "talent", [])):
            key, plaintext = create_key(session, role, origins)
            if role == "talent":
                bind_talent_key(session, key, talent)
            made[name] = (key.id, plaintext)
    return made


@pytest.fixture()
def auth(keys):
    """Request headers for a key name (publishable keys call from their shop)."""
    def headers(name: str) -> dict:
        origin = {"shop": SHOP, "other_shop": OTHER_SHOP}.get(name)
        return {"Authorization": f"Bearer {keys[name][1]}", **({"Origin": origin} if origin else {})}
    return headers


def make_grant(talent: str, kind: str = "use", *, start_days: float = -1, end_days: float = 30,
               **fields) -> str:
    """Record a grant through ``tryon.twins.consent.create_grant``; its id."""
    from tryon.twins.consent import create_grant
    from tryon.storage.database import session_scope
    from tryon.storage.models import utcnow

    now = utcnow()
    defaults = dict(obtained_by="Studio Nord (agent: J. Doe)", purpose="try-on renders on the shop",
                    pay_basis="per-render", pay_currency="USD", pay_amount_minor=25,
                    starts_at=now + timedelta(days=start_days), ends_at=now + timedelta(days=end_days),
                    document=DOCUMENT, document_name="consent.pdf",
                    document_media_type="application/pdf")
    if kind == "creation":
        defaults.update(scan_retention="encrypted", pay_basis="flat", pay_amount_minor=50_000)
    else:
        defaults.update(channels=["e-commerce"])
    with session_scope() as session:
        return create_grant(session, talent_id=talent, kind=kind, blobs=current_blobs(),
                            **{**defaults, **fields}).id


def ready_twin(talent: str, creation_grant: str, like: str = "f165-eu40", skin_tone: int = 4) -> str:
    """A ready twin whose body is library avatar ``like``'s, with its preview stored
    as ``tryon.twins.lifecycle.fit_twin`` stores it; its id."""
    import secrets

    from avatars.library import library
    from avatars.body_models.registry import backend_name
    from tryon.storage.database import session_scope
    from tryon.storage.models import Twin, utcnow
    from tryon.twins.access import TWIN_PREFIX, credential_render, preview_key, store_output
    from tryon.twins.lifecycle import PREVIEW_MEDIA_TYPE

    body = library()[like]
    twin_id = TWIN_PREFIX + secrets.token_hex(8)
    with session_scope() as session:
        session.add(Twin(id=twin_id, talent_id=talent, creation_grant_id=creation_grant,
                         label="Ada, studio scan", status="ready", sex=body.sex, skin_tone=skin_tone,
                         shape=list(body.shape), measurements=dict(body.measurements),
                         fit={"percentiles_mm": {"mean": 2.0, "p95": 5.0}, "seconds": 1.0,
                              "points": 1000, "backend": backend_name()},
                         scan_sha256="0" * 64, scan_name="scan.ply", created_at=utcnow(),
                         ready_at=utcnow()))
    from tryon.render.try_on import render_try_on

    preview = credential_render(render_try_on(body, None, None, width=48, height=72), "png", twin_id)
    store_output(preview_key(twin_id), twin_id, "preview", preview, PREVIEW_MEDIA_TYPE,
                 current_blobs(), index=False)
    return twin_id


@pytest.fixture()
def twin(talent, keys) -> dict:
    """A ready twin with a creation grant and a use grant for ``SHOP`` and the merchant
    key on e-commerce (per render, 25 cents)."""
    creation = make_grant(talent, "creation")
    use = make_grant(talent, "use", scope_origins=[SHOP], scope_key_ids=[keys["merchant"][0]])
    return {"id": ready_twin(talent, creation), "creation": creation, "use": use, "talent": talent}


def cli_env(twin_env: dict) -> dict:
    """The environment for a ``tryon`` subprocess on the test's database."""
    return {**os.environ, **twin_env}
