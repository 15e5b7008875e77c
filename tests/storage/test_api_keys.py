"""API keys: made, checked, revoked; stored only hashed; roles and origins."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from tryon.storage import api_keys
from tryon.storage.api_keys import (create_key, has_role, list_keys, normalize_origin, origin_allowed,
                            revoke_key, verify_key)
from tryon.storage.database import dispose_engines, session_scope, upgrade_database
from tryon.storage.models import ApiKey


@pytest.fixture()
def url(db_url):
    upgrade_database(db_url)
    return db_url


@pytest.fixture(autouse=True)
def _empty_cache():
    api_keys._verified.clear()  # each test starts with nothing remembered


def test_create_verify_revoke(url):
    with session_scope(url) as session:
        key, plaintext = create_key(session, "merchant", label="Shop A")
    assert plaintext.startswith(f"tryon_mer_{key.prefix}_") and len(plaintext) == 63
    with session_scope(url) as session:
        found = verify_key(session, plaintext)
        assert found is not None and (found.id, found.role, found.label) == (key.id, "merchant", "Shop A")
        assert verify_key(session, plaintext) is not None  # now from the cache
        assert [k.prefix for k in list_keys(session)] == [key.prefix]
        assert revoke_key(session, key.prefix).revoked_at is not None
    with session_scope(url) as session:
        assert verify_key(session, plaintext) is None  # at once, although it was cached
        assert revoke_key(session, key.prefix).revoked_at is not None  # again: harmless
        assert revoke_key(session, "0" * 12) is None and revoke_key(session, "../x") is None


def test_wrong_unknown_and_malformed_keys_verify_to_none(url):
    with session_scope(url) as session:
        key, plaintext = create_key(session, "admin")
        other_prefix = "0" * 12 if key.prefix != "0" * 12 else "1" * 12
        wrong_secret = plaintext[:-1] + ("0" if plaintext[-1] != "0" else "1")
        for candidate in [wrong_secret, plaintext.replace("_adm_", "_pub_"),
                          plaintext.replace(key.prefix, other_prefix), plaintext + "0",
                          plaintext.upper(), "", "Bearer " + plaintext, None]:
            assert verify_key(session, candidate) is None, candidate
        assert verify_key(session, plaintext).id == key.id


def test_plaintext_is_never_stored(sqlite_url):
    upgrade_database(sqlite_url)
    with session_scope(sqlite_url) as session:
        key, plaintext = create_key(session, "studio")
        stored_hash = key.key_hash
    with session_scope(sqlite_url) as session:
        assert verify_key(session, plaintext) is not None
    dispose_engines()
    folder = Path(sqlite_url.removeprefix("sqlite:///")).parent
    stored = b"".join(p.read_bytes() for p in folder.glob("tryon.sqlite3*"))  # with -wal
    secret = plaintext.rsplit("_", 1)[1]
    assert stored_hash.encode() in stored  # we are looking at the right bytes
    assert secret.encode() not in stored and plaintext.encode() not in stored
    assert stored_hash.startswith("$argon2id$")


def test_roles():
    def key(role):
        return ApiKey(role=role, origins=[])

    assert has_role(key("merchant"), "merchant") and not has_role(key("merchant"), "admin")
    assert not has_role(key("publishable"), "merchant", "studio")
    assert has_role(key("publishable"), "publishable", "merchant")
    assert all(has_role(key("admin"), role) for role in ("merchant", "studio", "talent"))
    with session_scope("sqlite://") as session, pytest.raises(ValueError, match="role"):
        create_key(session, "owner")


def test_origins(url):
    with session_scope(url) as session:
        publishable, _ = create_key(session, "publishable",
                                    ["HTTPS://Shop.Example.com:443", "http://localhost:8000",
                                     "https://shop.example.com"])
        merchant, _ = create_key(session, "merchant")
        with pytest.raises(ValueError, match="at least one origin"):
            create_key(session, "publishable")
    assert publishable.origins == ["https://shop.example.com", "http://localhost:8000"]
    assert origin_allowed(publishable, "https://shop.example.com")
    assert origin_allowed(publishable, "https://shop.example.com:443")
    assert origin_allowed(publishable, "http://localhost:8000")
    for origin in ["http://shop.example.com", "https://evil.example.com", "https://shop.example.com.evil.com",
                   "https://shop.example.com:8443", "http://localhost", "https://shop.example.com/",
                   "null", "", None]:
        assert not origin_allowed(publishable, origin), origin
    assert origin_allowed(merchant, None) and origin_allowed(merchant, "https://anywhere.example")


@pytest.mark.parametrize("origin, normal", [
    ("https://shop.example.com", "https://shop.example.com"),
    ("HTTP://LOCALHOST:80", "http://localhost"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://[::1]:5173", "http://[::1]:5173"),
    ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
])
def test_normalize_origin(origin, normal):
    assert normalize_origin(origin) == normal


@pytest.mark.parametrize("origin", [
    "shop.example.com", "https://shop.example.com/", "https://shop.example.com/path",
    "https://shop.example.com?x=1", "https://shop.example.com#top", "https://user@shop.example.com",
    "ftp://shop.example.com", "https://", "https://shop.example.com:0",
    "https://shop.example.com:99999", "https://shop example.com", " https://shop.example.com",
    "https://*.example.com", "javascript://x",
])
def test_normalize_origin_refuses(origin):
    with pytest.raises(ValueError, match=r"scheme://host\[:port\]"):
        normalize_origin(origin)


def test_argon2_verification_stays_near_20_ms(sqlite_url):
    """Measured cost of one uncached verification (the module docstring quotes it)."""
    upgrade_database(sqlite_url)
    with session_scope(sqlite_url) as session:
        _, plaintext = create_key(session, "talent")
        times = []
        for _ in range(7):
            api_keys._verified.clear()
            start = time.perf_counter()
            assert verify_key(session, plaintext) is not None
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert verify_key(session, plaintext) is not None
        cached = time.perf_counter() - start
    median = statistics.median(times)
    print(f"argon2 verification: median {median * 1e3:.1f} ms, cached {cached * 1e3:.2f} ms")
    assert median < 0.06  # about 20 ms on 2 cores; margin for a loaded test machine
    assert cached < median / 3
