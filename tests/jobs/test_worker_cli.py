"""``tryon worker`` needs a broker, and says so."""

from __future__ import annotations

from tryon.cli import main


def test_worker_without_a_broker_explains(monkeypatch, capsys):
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    assert main(["worker"]) == 2
    assert "TRYON_BROKER_URL is not set" in capsys.readouterr().err
