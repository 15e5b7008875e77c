"""`tryon keys`: create (as a user runs it), list, revoke, and its errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tryon.storage.api_keys import verify_key
from tryon.cli import main
from tryon.storage.database import session_scope

ROOT = Path(__file__).resolve().parents[2]


def test_create_prints_the_key_alone_on_the_last_line(sqlite_url):
    env = {**os.environ, "TRYON_DATABASE_URL": sqlite_url}
    result = subprocess.run([sys.executable, "-m", "tryon.cli", "keys", "create", "--role", "publishable",
                             "--origin", "https://shop.example.com", "--label", "Shop A"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 1 and "https://shop.example.com" in lines[0]
    with session_scope(sqlite_url) as session:
        key = verify_key(session, lines[-1])
        assert key is not None and key.role == "publishable" and key.label == "Shop A"
        assert key.origins == ["https://shop.example.com"]


def test_list_and_revoke(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("TRYON_DATABASE_URL", sqlite_url)
    assert main(["keys", "create", "--role", "merchant"]) == 0
    plaintext = capsys.readouterr().out.splitlines()[-1]
    prefix = plaintext.split("_")[2]
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert prefix in listed and "active" in listed and plaintext not in listed
    assert main(["keys", "revoke", prefix]) == 0
    assert main(["keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    with session_scope(sqlite_url) as session:
        assert verify_key(session, plaintext) is None
    assert main(["keys", "revoke", "000000000000"]) == 2
    assert capsys.readouterr().err.startswith("tryon: error: no key with prefix")


def test_bad_origins_are_refused(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("TRYON_DATABASE_URL", sqlite_url)
    for args in (["--origin", "https://shop.example.com/checkout"], ["--origin", "shop.example.com"], []):
        assert main(["keys", "create", "--role", "publishable", *args]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("tryon: error: ") and captured.out == ""
    assert main(["keys", "list"]) == 0 and capsys.readouterr().out == ""  # nothing was created
