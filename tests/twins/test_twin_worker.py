"""A twin rendered by a real Celery worker process: credentialed there, ledgered here,
and deleted from the shared store when the talent revokes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.helpers import assert_problem
from tests.jobs.test_celery import broker, stop_worker  # noqa: F401 (a fixture)
from tryon.core.settings import data_dir
from tests.settings import current_blobs

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def celery_app(twin_env, broker, monkeypatch, tmp_path):  # noqa: F811
    """An app whose jobs go through Redis to one Celery worker subprocess; (app, log path)."""
    from api import create_app
    from api.extensions import shutdown_job_queue

    monkeypatch.setenv("TRYON_BROKER_URL", broker)
    env = {**os.environ, **twin_env, "TRYON_BROKER_URL": broker,
           "TRYON_DATA_DIR": str(data_dir()), "PYTHONPATH": str(REPO)}
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tryon.celery_app", "worker", "--pool", "solo",
             "--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle",
             "--without-heartbeat"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        app = create_app({"TESTING": True, "RENDER_BUDGET_S": 300})
        try:
            yield app, log_path
        finally:
            shutdown_job_queue(app)
            stop_worker(worker)


def test_a_worker_renders_a_twin_and_revocation_deletes_it(celery_app, auth, twin):
    from tryon.twins.credentials import read_credentials
    from tryon.storage.database import session_scope
    from tryon.storage.models import Job, UsageEntry

    app, log_path = celery_app
    client = app.test_client()
    url = f"/v1/render?avatar={twin['id']}&width=40&height=60"
    image = client.get(url, headers=auth("shop"))
    assert image.status_code == 200, image.get_data(as_text=True) + log_path.read_text()
    with session_scope() as session:
        (job,) = session.query(Job).filter_by(kind="render").all()
        assert session.query(UsageEntry).count() == 1
    assert f"tryon.run_job[{job.id}] succeeded" in log_path.read_text()  # the worker made it
    assert read_credentials(image.data)["c2pa"]["replica"]["consent_grant"] == twin["creation"]
    digest = hashlib.sha256(image.data).hexdigest()
    assert current_blobs().exists(digest)

    revoked = client.post(f"/v1/consents/{twin['use']}/revoke", json={"reason": "stop now"},
                          headers=auth("talent"))
    assert revoked.status_code == 200
    assert not current_blobs().exists(digest)
    assert "stop now" in assert_problem(client.get(url, headers=auth("shop")), 410)["detail"]
