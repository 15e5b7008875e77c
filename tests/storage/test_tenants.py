"""Tenants: made with a checked id, once; keys belong to one; admins see every tenant."""

from __future__ import annotations

import pytest

from tryon.core.errors import Conflict, Invalid, NotFound
from tryon.storage.api_keys import create_key
from tryon.storage.database import session_scope, upgrade_database
from tryon.storage.tenants import DEFAULT_TENANT, create_tenant, list_tenants, sees_tenant


@pytest.fixture()
def url(db_url):
    upgrade_database(db_url)
    return db_url


def test_every_database_starts_with_the_default_tenant_and_keys_join_it(url):
    with session_scope(url) as session:
        assert [t.id for t in list_tenants(session)] == [DEFAULT_TENANT]
        key, _ = create_key(session, "merchant")
        assert key.tenant_id == DEFAULT_TENANT


def test_tenants_have_slug_ids_made_once(url):
    with session_scope(url) as session:
        create_tenant(session, "brand-b", "Brand B")
        for bad in ("Brand B", "brand--b", "-b", "", "x" * 41):
            with pytest.raises(Invalid, match="tenant id"):
                create_tenant(session, bad)
        with pytest.raises(Conflict):
            create_tenant(session, "brand-b")
        with pytest.raises(NotFound, match="no tenant 'brand-c'"):
            create_key(session, "merchant", tenant="brand-c")
        key, _ = create_key(session, "merchant", tenant="brand-b")
        admin, _ = create_key(session, "admin", tenant="brand-b")
        assert sees_tenant(key, "brand-b") and not sees_tenant(key, DEFAULT_TENANT)
        assert sees_tenant(key, None)  # nobody's: public
        assert sees_tenant(admin, DEFAULT_TENANT) and sees_tenant(admin, "brand-b")
