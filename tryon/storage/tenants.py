"""Tenants: the merchant accounts of one tryon (``tryon.storage.models.Tenant``).

An operator running several brands or stores gives each a tenant; keys are
made for one (``tryon keys create --tenant``). Garments, catalog jobs,
import reports and renders of drafts belong to the tenant whose key made
them, and other tenants' keys get 404; admin keys see every tenant. Every
database starts with ``DEFAULT_TENANT``, so a single store never names one.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from tryon.core.errors import Conflict, Invalid
from tryon.core.settings import DEFAULT_TENANT
from tryon.storage.models import ApiKey, Tenant, utcnow

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
__all__ = ["DEFAULT_TENANT", "create_tenant", "list_tenants", "tenant_of", "sees_tenant"]


def create_tenant(session: Session, tenant_id: str, name: str | None = None) -> Tenant:
    """Add a tenant: ``tenant_id`` a slug of 1-40 characters (``shop-a``); Invalid
    for another id, Conflict if it exists."""
    if not (1 <= len(tenant_id) <= 40 and _ID.match(tenant_id)):
        raise Invalid(f"a tenant id is 1-40 lower-case letters, digits and single dashes, "
                      f"like shop-a; got {tenant_id!r}", "tenant")
    if session.get(Tenant, tenant_id) is not None:
        raise Conflict(f"tenant {tenant_id!r} exists", "tenant")
    tenant = Tenant(id=tenant_id, name=name or tenant_id, created_at=utcnow())
    session.add(tenant)
    session.flush()
    return tenant


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.created_at, Tenant.id)))


def tenant_of(key: ApiKey | None) -> str | None:
    """The tenant a key acts for; None for an admin key (it sees every tenant)."""
    if key is None:
        return DEFAULT_TENANT
    return None if key.role == "admin" else (key.tenant_id or DEFAULT_TENANT)


def sees_tenant(key: ApiKey | None, tenant: str | None) -> bool:
    """Whether ``key`` may see what belongs to ``tenant`` (None: nobody's, public)."""
    mine = tenant_of(key)
    return mine is None or tenant is None or tenant == mine
