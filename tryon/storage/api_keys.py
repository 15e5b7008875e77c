"""API keys: made once, shown once, stored only as argon2 hashes.

A key reads ``tryon_<role code>_<prefix>_<secret>``, e.g.
``tryon_pub_3f9a1c0b7d2e_<40 hex>``:

- the prefix (12 hex, random) is public: it finds the key's row, and names
  the key in ``tryon keys list`` and ``tryon keys revoke``;
- the secret (40 hex, 160 bits from ``secrets``) is the part nobody can guess;
- the role code (``ROLE_CODES``) is there for people reading the key.

Only the argon2id hash of the whole key is stored. Argon2 is slow on
purpose; with ``HASHER``'s parameters (t=2, m=19 MiB, p=1, one of OWASP's
recommended argon2id settings) one verification measured 18 ms (median of
20, 2-core VM; the library default of t=3, m=64 MiB, p=4 took 254 ms). As
the secret has 160 random bits, the hash guards against a stolen database,
not against guessing, so these cheaper parameters lose nothing. Successful
verifications are remembered in-process for ``CACHE_TTL_S`` so a busy key
pays that once per TTL, not per request. The cache skips only the argon2
step: every call still reads the key's row, so a revoked key fails at once
in every process.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tryon.core.errors import NotFound
from tryon.core.settings import DEFAULT_TENANT
from tryon.storage.models import ROLES, ApiKey, Tenant, utcnow

ROLE_CODES = {"publishable": "pub", "merchant": "mer", "admin": "adm", "studio": "stu",
              "talent": "tal"}
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
CACHE_TTL_S = 60.0
CACHE_MAX_ENTRIES = 10_000

_KEY = re.compile(r"tryon_(?:pub|mer|adm|stu|tal)_([0-9a-f]{12})_[0-9a-f]{40}")
_PREFIX = re.compile(r"[0-9a-f]{12}")
_ORIGIN = re.compile(r"(https?)://([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::(\d{1,5}))?",
                     re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}

_verified: dict[bytes, tuple[str, float]] = {}  # sha256(key) -> (hash it matched, expiry)
_verified_lock = threading.Lock()


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lowercase, without a default port.

    Raises ``ValueError`` for anything else (a path, even ``/``, a query,
    user info, a scheme other than http or https).
    """
    match = _ORIGIN.fullmatch(origin) if isinstance(origin, str) else None
    port = int(match.group(3)) if match and match.group(3) else None
    if match is None or (port is not None and not 0 < port < 65536):
        raise ValueError(f"an origin is scheme://host[:port] with no path, like "
                         f"https://shop.example.com, not {origin!r}")
    scheme, host = match.group(1).lower(), match.group(2).lower()
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def create_key(session: Session, role: str, origins: Iterable[str] = (),
               label: str | None = None, tenant: str = DEFAULT_TENANT) -> tuple[ApiKey, str]:
    """Add a key to the session; return it and its plaintext, which is shown once and kept nowhere.

    A publishable key needs at least one origin (it is usable only from
    those); origins are normalised by ``normalize_origin``. ``tenant``: the
    merchant account the key acts for (NotFound if there is none such).
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if session.get(Tenant, tenant) is None:
        raise NotFound(f"no tenant {tenant!r}; create it first (tryon tenants create)", "tenant")
    origins = list(dict.fromkeys(normalize_origin(o) for o in origins))
    if role == "publishable" and not origins:
        raise ValueError("a publishable key needs at least one origin, the site that embeds it")
    prefix = secrets.token_hex(6)  # 48 bits: a clash is unlikely, and the unique index refuses one
    plaintext = f"tryon_{ROLE_CODES[role]}_{prefix}_{secrets.token_hex(20)}"
    key = ApiKey(prefix=prefix, key_hash=HASHER.hash(plaintext), role=role, origins=origins,
                 label=label, created_at=utcnow(), tenant_id=tenant)
    session.add(key)
    session.flush()
    return key, plaintext


def verify_key(session: Session, plaintext: str) -> ApiKey | None:
    """The live key ``plaintext`` is, or None (malformed, unknown, wrong or revoked).

    An unknown prefix costs an argon2 verification too, so response times
    do not tell which prefixes exist.
    """
    match = _KEY.fullmatch(plaintext) if isinstance(plaintext, str) else None
    if match is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
    fingerprint = hashlib.sha256(plaintext.encode()).digest()
    if key is not None and _remembered(fingerprint, key.key_hash):
        verified = True
    else:
        verified = _argon2_matches(key.key_hash if key is not None else _dummy_hash(), plaintext)
        if verified and key is not None:
            _remember(fingerprint, key.key_hash)
    if key is None or not verified or key.revoked_at is not None:
        return None
    return key


def _argon2_matches(key_hash: str, plaintext: str) -> bool:
    try:
        return HASHER.verify(key_hash, plaintext)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_hex(20))


def _remembered(fingerprint: bytes, key_hash: str) -> bool:
    with _verified_lock:
        entry = _verified.get(fingerprint)
    return entry is not None and entry[0] == key_hash and entry[1] > time.monotonic()


def _remember(fingerprint: bytes, key_hash: str) -> None:
    now = time.monotonic()
    with _verified_lock:
        if len(_verified) >= CACHE_MAX_ENTRIES:  # bounded, whatever the traffic
            for stale in [f for f, (_, expiry) in _verified.items() if expiry <= now]:
                del _verified[stale]
            if len(_verified) >= CACHE_MAX_ENTRIES:
                _verified.clear()
        _verified[fingerprint] = (key_hash, now + CACHE_TTL_S)


def revoke_key(session: Session, prefix: str) -> ApiKey | None:
    """Revoke the key with this prefix (again is harmless); None if there is none."""
    if not _PREFIX.fullmatch(prefix):
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is not None and key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def has_role(key: ApiKey, *roles: str) -> bool:
    """Whether the key has one of ``roles``; an admin key has them all."""
    return key.role == "admin" or key.role in roles


def origin_allowed(key: ApiKey, origin: str | None) -> bool:
    """Whether a request from ``origin`` (its ``Origin`` header) may use the key.

    A key with origins is bound to them (exact ``scheme://host[:port]``
    after ``normalize_origin``); a publishable key always has some. Other
    keys without origins are server-side keys and work from anywhere.
    Browsers send no ``Origin`` with a plain ``<img>`` request: pass the
    origin of its ``Referer`` then, or None, which a bound key refuses.
    """
    if not key.origins:
        return key.role != "publishable"
    if origin is None:
        return False
    try:
        return normalize_origin(origin) in key.origins
    except ValueError:
        return False
