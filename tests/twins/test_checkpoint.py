"""Ledger checkpoints: a signed head, kept outside the database, catches a ledger
rewritten from end to end, which the chain alone cannot."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading

from sqlalchemy import text

from tests.twins.conftest import SHOP, cli_env


def _append(n: int, start: int = 0) -> None:
    from tryon.twins.ledger import append

    for i in range(start, start + n):
        append(twin_id="t-0000000000000001", grant_id="cg-x", channel="e-commerce",
               kind="render", api_key_id=7, origin=SHOP, content_hash=f"{i:064x}")


def _rewrite_everything_from(seq: int) -> None:
    """What the database's owner can do: drop the guards, change an entry, recompute
    every later hash and the head, so the chain alone verifies again."""
    from tryon.storage.database import session_scope
    from tryon.storage.models import UsageEntry, UsageLedgerHead
    from tryon.twins.ledger import HEAD_ID, chain_hash, entry_fields

    with session_scope() as session:
        session.execute(text("DROP TRIGGER usage_ledger_no_update"))
        session.execute(text("DROP TRIGGER usage_ledger_no_delete"))
    with session_scope() as session:
        entries = session.query(UsageEntry).order_by(UsageEntry.seq).all()
        prev = entries[seq - 2].entry_hash
        for entry in entries[seq - 1:]:
            if entry.seq == seq:
                entry.channel = "ads"  # a use moved to a cheaper channel
            entry.prev_hash = prev
            entry.entry_hash = prev = chain_hash(prev, entry_fields(entry))
        session.get(UsageLedgerHead, HEAD_ID).entry_hash = prev


def _check(checkpoint: dict):
    from tryon.storage.database import session_scope
    from tryon.twins.checkpoint import verify_against

    with session_scope() as session:
        return verify_against(session, checkpoint)


def _checkpoint() -> dict:
    from tryon.storage.database import session_scope
    from tryon.twins.checkpoint import make_checkpoint

    with session_scope() as session:
        return make_checkpoint(session)


def test_a_checkpoint_verifies_and_later_entries_do_not_disturb_it(twin_env):
    _append(4)
    checkpoint = _checkpoint()
    assert checkpoint["payload"]["seq"] == 4 and checkpoint["alg"] == "ES256"
    assert "BEGIN CERTIFICATE" in checkpoint["certificate_chain"]
    _append(3, start=4)  # the ledger goes on
    check = _check(checkpoint)
    assert check.ok and check.seq == 4, check.problems


def test_a_ledger_rewritten_end_to_end_passes_the_chain_but_not_the_checkpoint(twin_env):
    from tryon.storage.database import session_scope
    from tryon.twins.ledger import verify

    _append(5)
    checkpoint = _checkpoint()
    _rewrite_everything_from(3)
    with session_scope() as session:
        assert verify(session).ok  # the chain alone cannot tell
    check = _check(checkpoint)
    assert not check.ok and any("entry 5 is not the one signed" in p for p in check.problems)


def test_an_altered_checkpoint_is_refused(twin_env):
    _append(2)
    checkpoint = _checkpoint()
    forged = {**checkpoint, "payload": {**checkpoint["payload"], "seq": 1}}
    check = _check(forged)
    assert any("signature does not match" in p for p in check.problems), check.problems


def test_the_command_line_writes_posts_and_checks_checkpoints(twin_env, tmp_path):
    _append(3)
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = tmp_path / "checkpoint.json"

    def tryon(*args):
        return subprocess.run([sys.executable, "-m", "tryon.cli", "ledger", *args],
                              env=cli_env(twin_env), capture_output=True, text=True, timeout=300)
    try:
        made = tryon("checkpoint", "--out", str(out),
                     "--post", f"http://127.0.0.1:{server.server_port}/checkpoints")
    finally:
        server.shutdown()
    assert made.returncode == 0, made.stderr
    assert "entry 3" in made.stdout and "201" in made.stdout
    assert received == [json.loads(out.read_text())]
    checked = tryon("verify", "--checkpoint", str(out))
    assert checked.returncode == 0 and "matches the checkpoint" in checked.stdout, checked.stdout
    _rewrite_everything_from(2)
    checked = tryon("verify", "--checkpoint", str(out))
    assert checked.returncode == 1 and "not the one signed" in checked.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    refused = tryon("verify", "--checkpoint", str(broken))
    assert refused.returncode == 2 and "not a tryon ledger checkpoint" in refused.stderr

