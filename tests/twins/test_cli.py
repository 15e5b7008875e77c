"""The command line of twins: talents, talent keys, consents, revocation."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.twins.conftest import DOCUMENT, SHOP, cli_env


def tryon(twin_env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tryon.cli", *args], env=cli_env(twin_env),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # a dozen `tryon` processes
def test_talent_key_consent_create_list_revoke(twin_env, tmp_path, app):
    made = tryon(twin_env, "talents", "add", "--name", "Cleo Model")
    assert made.returncode == 0, made.stderr
    talent = made.stdout.strip().splitlines()[-1]
    assert talent.startswith("tl-") and talent in tryon(twin_env, "talents", "list").stdout

    refused = tryon(twin_env, "keys", "create", "--role", "talent")
    assert refused.returncode == 2 and "--talent" in refused.stderr
    key = tryon(twin_env, "keys", "create", "--role", "talent", "--talent", talent)
    assert key.returncode == 0 and f"for talent {talent}" in key.stdout, key.stderr
    talent_key = key.stdout.strip().splitlines()[-1]
    shop = tryon(twin_env, "keys", "create", "--role", "publishable", "--origin", SHOP)
    shop_prefix = shop.stdout.split(" key ", 1)[1].split(";")[0].split()[0]

    document = tmp_path / "signed.pdf"
    document.write_bytes(DOCUMENT)
    grant = tryon(twin_env, "consent", "create", "--talent", talent, "--kind", "use",
                  "--obtained-by", "Agency X", "--purpose", "spring campaign", "--document",
                  str(document), "--pay-basis", "per-day", "--currency", "EUR", "--amount-minor",
                  "2000", "--start", "2026-01-01", "--end", "2030-06-30", "--channel", "ads",
                  "--channel", "social", "--key", shop_prefix)
    assert grant.returncode == 0, grant.stderr
    body = json.loads(grant.stdout)
    assert body["scope"]["channels"] == ["ads", "social"] and len(body["scope"]["key_ids"]) == 1
    assert body["document"]["media_type"] == "application/pdf"
    bad = tryon(twin_env, "consent", "create", "--talent", talent, "--kind", "use",
                "--obtained-by", "Agency X", "--purpose", "p", "--document", str(document),
                "--pay-basis", "flat", "--currency", "EUR", "--amount-minor", "1",
                "--start", "2026-01-01", "--end", "2030-06-30")
    assert bad.returncode == 2 and "channels" in bad.stderr

    own = app.test_client().get("/v1/consents", headers={"Authorization": f"Bearer {talent_key}"})
    assert [g["id"] for g in own.get_json()["consents"]] == [body["id"]]

    listed = tryon(twin_env, "consent", "list")
    assert body["id"] in listed.stdout and "active" in listed.stdout
    revoked = tryon(twin_env, "consent", "revoke", body["id"], "--reason", "campaign cancelled")
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["status"] == "revoked"
    assert "revoked" in tryon(twin_env, "consent", "list").stdout
    assert tryon(twin_env, "consent", "revoke", "cg-nope", "--reason", "x").returncode == 2
