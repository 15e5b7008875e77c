"""The usage ledger: hash-chained, append-only, one line under concurrent appends,
tampering detected by ``tryon ledger verify``; pay owed per grant."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from tests.twins.conftest import SHOP, cli_env, make_grant


def _append(n: int, twin="t-0000000000000001", grant="cg-x", **fields):
    from tryon.twins.ledger import append

    for i in range(n):
        append(twin_id=twin, grant_id=grant, channel="e-commerce", kind="render",
               api_key_id=7, origin=SHOP, content_hash=f"{i:064x}", **fields)


def _verify():
    from tryon.twins.ledger import verify
    from tryon.storage.database import session_scope

    with session_scope() as session:
        return verify(session)


def _sql(statement: str, **params) -> None:
    from tryon.storage.database import session_scope

    with session_scope() as session:
        session.execute(text(statement), params)


def _drop_guards() -> None:
    """What a tamperer with DDL rights does first: drop the append-only triggers."""
    from tryon.storage.database import session_scope

    with session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("DROP TRIGGER usage_ledger_no_change ON usage_ledger"))
        else:
            session.execute(text("DROP TRIGGER usage_ledger_no_update"))
            session.execute(text("DROP TRIGGER usage_ledger_no_delete"))


def test_the_database_refuses_changes_to_entries(twin_env):
    from sqlalchemy.exc import DBAPIError

    _append(2)
    for statement in ("UPDATE usage_ledger SET channel = 'ads' WHERE seq = 1",
                      "DELETE FROM usage_ledger WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"):
            _sql(statement)
    assert _verify().ok and _verify().entries == 2


def _ledger_verify_cli(twin_env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tryon.cli", "ledger", "verify"],
                          env=cli_env(twin_env), capture_output=True, text=True, timeout=300)


def test_entries_chain_and_verify(twin_env):
    from tryon.twins.ledger import GENESIS_HASH, chain_hash, entry_fields
    from tryon.storage.database import session_scope
    from tryon.storage.models import UsageEntry

    _append(5)
    with session_scope() as session:
        entries = session.query(UsageEntry).order_by(UsageEntry.seq).all()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, entry in zip(entries, entries[1:]):
        assert entry.prev_hash == before.entry_hash
        assert entry.entry_hash == chain_hash(before.entry_hash, entry_fields(entry))
    result = _verify()
    assert result.ok and result.entries == 5 and result.head_hash == entries[-1].entry_hash
    done = _ledger_verify_cli(twin_env)
    assert done.returncode == 0 and "intact" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("tamper, says", [
    ("UPDATE usage_ledger SET origin = 'https://cheat.example' WHERE seq = 3", "entry 3 was edited"),
    ("UPDATE usage_ledger SET at = '2020-01-01 00:00:00.000000' WHERE seq = 2", "entry 2 was edited"),
    ("DELETE FROM usage_ledger WHERE seq = 3", "entry 3 is missing"),
    ("DELETE FROM usage_ledger WHERE seq = 6", "cut off the end"),
    ("UPDATE usage_ledger SET seq = seq + 100 WHERE seq >= 4", "entry 4 is missing"),
])
def test_any_edit_deletion_or_insertion_is_detected(twin_env, tamper, says):
    _append(6)
    assert _verify().ok
    _drop_guards()
    _sql(tamper)
    result = _verify()
    assert not result.ok and any(says in p for p in result.problems), result.problems
    done = _ledger_verify_cli(twin_env)
    assert done.returncode == 1 and "TAMPERED" in done.stdout and says in done.stdout


def test_a_forged_entry_recomputed_in_place_still_breaks_the_chain(twin_env):
    """Rewriting one entry with a correct hash of its new content breaks its successor."""
    from tryon.twins.ledger import chain_hash, entry_fields
    from tryon.storage.database import session_scope
    from tryon.storage.models import UsageEntry

    _append(4)
    _drop_guards()
    with session_scope() as session:
        entry = session.get(UsageEntry, 2)
        entry.channel = "ads"
        entry.entry_hash = chain_hash(entry.prev_hash, entry_fields(entry))
    result = _verify()
    assert not result.ok and any("entry 3 does not chain" in p for p in result.problems)


def test_an_inserted_entry_is_detected(twin_env):
    _append(3)
    _drop_guards()
    _sql("UPDATE usage_ledger SET seq = seq + 10 WHERE seq >= 2")  # make room after entry 1
    _sql("UPDATE usage_ledger SET seq = seq - 9 WHERE seq >= 12")
    _sql("INSERT INTO usage_ledger (seq, at, twin_id, grant_id, api_key_id, origin, channel, kind, "
         "content_hash, prev_hash, entry_hash) SELECT 2, at, twin_id, grant_id, api_key_id, origin, "
         "channel, kind, content_hash, prev_hash, :h FROM usage_ledger WHERE seq = 1", h="f" * 64)
    result = _verify()
    assert not result.ok and any("entry 3 does not chain" in p for p in result.problems), result.problems


_APPENDER = """
import sys
from tryon.twins.ledger import append
for i in range(int(sys.argv[1])):
    append(twin_id="t-concurrent", grant_id=f"cg-{sys.argv[2]}", channel="e-commerce",
           kind="render", content_hash=None)
"""


def _concurrent_appends(env: dict, processes: int = 4, each: int = 25) -> None:
    running = [subprocess.Popen([sys.executable, "-c", _APPENDER, str(each), str(p)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for p in range(processes)]
    for proc in running:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()


def test_concurrent_appends_from_processes_stay_one_chain_sqlite(twin_env):
    _concurrent_appends(cli_env(twin_env))
    result = _verify()
    assert result.ok and result.entries == 100, result.problems


def test_concurrent_appends_from_processes_stay_one_chain_postgres(twin_env, monkeypatch):
    from tests.postgres import postgres_schema
    from tryon.storage.database import upgrade_database

    with postgres_schema("tryon_ledger") as (_, _, url):
        monkeypatch.setenv("TRYON_DATABASE_URL", url)
        upgrade_database()
        _concurrent_appends(cli_env({**twin_env, "TRYON_DATABASE_URL": url}))
        result = _verify()
        assert result.ok and result.entries == 100, result.problems
        with pytest.raises(Exception, match="append-only"):
            _sql("TRUNCATE usage_ledger")
        _drop_guards()
        _sql("UPDATE usage_ledger SET kind = 'glb' WHERE seq = 50")
        assert not _verify().ok


def test_report_counts_and_pay_per_grant(twin_env, talent, keys):
    from tryon.twins.ledger import append, parse_period, report, report_csv
    from tryon.storage.database import session_scope

    per_render = make_grant(talent, "use", scope_origins=[SHOP], pay_basis="per-render",
                            pay_amount_minor=25)
    per_day = make_grant(talent, "use", scope_origins=[SHOP], pay_basis="per-day",
                         pay_amount_minor=1000, channels=["ads"])
    flat = make_grant(talent, "creation", starts_at=datetime(2026, 11, 3, tzinfo=timezone.utc),
                      ends_at=datetime(2027, 11, 3, tzinfo=timezone.utc))

    def use(grant, day, hour=12, channel="e-commerce"):
        append(twin_id="t-1", grant_id=grant, channel=channel, kind="render",
               at=datetime(2026, 11, day, hour, tzinfo=timezone.utc))

    for day in (1, 1, 2, 30):
        use(per_render, day)
    for day, hour in ((5, 9), (5, 17), (6, 9)):
        use(per_day, day, hour, "ads")
    use(per_render, 1, 0)
    append(twin_id="t-1", grant_id=per_render, channel="e-commerce", kind="render",
           at=datetime(2026, 12, 1, 0, tzinfo=timezone.utc))  # next month
    start, end = parse_period("2026-11")
    with session_scope() as session:
        rows = {r["grant"]: r for r in report(session, start, end)}
    assert rows[per_render]["uses"] == 5 and rows[per_render]["owed_minor"] == 125
    assert rows[per_day]["uses"] == 3 and rows[per_day]["days_used"] == 2
    assert rows[per_day]["owed_minor"] == 2000 and rows[per_day]["by_channel"] == {"ads": 3}
    assert rows[flat]["uses"] == 0 and rows[flat]["owed_minor"] == 50_000
    csv_text = report_csv(list(rows.values()))
    assert csv_text.splitlines()[0].startswith("grant,talent,kind,twins,uses")
    assert f"{per_render},{talent},use,t-1,5,3,per-render,USD,25,125" in csv_text

    out = subprocess.run([sys.executable, "-m", "tryon.cli", "ledger", "report", "--period",
                          "2026-11"], env=cli_env(twin_env), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert {r["grant"]: r["owed_minor"] for r in json.loads(out.stdout)["grants"]} == {
        per_render: 125, per_day: 2000, flat: 50_000}
    out = subprocess.run([sys.executable, "-m", "tryon.cli", "ledger", "report", "--period",
                          "2026-12", "--format", "csv"], env=cli_env(twin_env),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and f"{per_render},{talent},use,t-1,1,1,per-render,USD,25,25" in out.stdout
