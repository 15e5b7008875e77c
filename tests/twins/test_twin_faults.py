"""A twin whose fit meets a database failure keeps its sealed scan and is fitted again.

The failure is real: PostgreSQL terminates the job's connection
(``pg_terminate_backend``, as a failover or an operator does) while the job
waits to write the fitted twin.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from tests.postgres import postgres_schema
from tests.settings import current_blobs
from tests.twins.conftest import make_grant

pytestmark = pytest.mark.slow  # fits a scan twice (about a minute each on 2 cores)

FIT_TIMEOUT_S = 600


@pytest.fixture()
def postgres_twin_env(twin_env, monkeypatch):
    """``twin_env`` with its database in a fresh PostgreSQL schema; the admin engine."""
    from tryon.storage.database import dispose_engines, upgrade_database

    with postgres_schema("tryon_faults") as (admin, schema, url):
        dispose_engines()
        monkeypatch.setenv("TRYON_DATABASE_URL", url)
        upgrade_database()
        yield admin, schema


def _waiting_backend(admin, own_pid: int, deadline: float) -> int:
    """The pid of a backend that waits for a lock (the job, blocked by our row lock)."""
    while time.monotonic() < deadline:
        with admin.connect() as connection:
            pid = connection.scalar(text(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND pid <> :own LIMIT 1"), {"own": own_pid})
        if pid is not None:
            return pid
        time.sleep(0.5)
    raise AssertionError("the twin job never waited to write the twin")


def test_a_connection_lost_while_fitting_keeps_the_scan_and_the_retry_fits(postgres_twin_env):
    from avatars.body_models.registry import get_body_model
    from avatars.scans.synthetic import synthetic_scan
    from tryon.core.settings import settings
    from tryon.jobs.queue import execute
    from tryon.outputs.tasks import TASKS
    from tryon.storage.database import session_scope
    from tryon.storage.models import Job, Twin
    from tryon.twins.consent import create_talent
    from tryon.twins.lifecycle import TWIN_JOB, start_twin

    admin, schema = postgres_twin_env
    with session_scope() as session:
        talent = create_talent(session, "Ada Model").id
    creation = make_grant(talent, "creation")
    scan = synthetic_scan(get_body_model("female"), seed=11, sex="female", points=20_000)
    twin = start_twin(scan.data, scan.filename, creation, blobs=current_blobs())
    with session_scope() as session:
        job = Job(kind=TWIN_JOB, params={"twin": twin.id}, status="queued")
        session.add(job)

    # Hold the twin's row, so the job blocks when it writes the fit; then cut its connection.
    holder = admin.connect()
    holder.execute(text(f"SET search_path TO {schema}"))
    holder.execute(text("SELECT id FROM twins WHERE id = :id FOR UPDATE"), {"id": twin.id})
    runner = threading.Thread(target=execute, args=(job.id, TASKS, settings()))
    runner.start()
    try:
        job_pid = _waiting_backend(admin, holder.connection.dbapi_connection.info.backend_pid,
                                   time.monotonic() + FIT_TIMEOUT_S)
        with admin.connect() as connection:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": job_pid})
    finally:
        holder.rollback()
        holder.close()
        runner.join(FIT_TIMEOUT_S)  # before the schema is dropped, pass or fail

    with session_scope() as session:
        job, fitted = session.get(Job, job.id), session.get(Twin, twin.id)
    assert (job.status, job.attempts, job.error) == ("done", 2, None)
    assert fitted.status == "ready" and fitted.error is None
    assert fitted.scan_blob and current_blobs().exists(fitted.scan_blob)  # "encrypted" retention


def _standing_cloud() -> bytes:
    """An ASCII PLY of a 1.7 m cylinder's surface points in millimetres (a scan to
    start a twin with; never fitted here)."""
    import numpy as np

    angle, height = np.random.default_rng(0).uniform(0, 1, (2, 3000))
    points = np.column_stack([150 * np.cos(2 * np.pi * angle), 150 * np.sin(2 * np.pi * angle),
                              1700 * height])
    header = ("ply\nformat ascii 1.0\nelement vertex 3000\nproperty float x\nproperty float y\n"
              "property float z\nend_header\n")
    return (header + "".join(f"{x:.1f} {y:.1f} {z:.1f}\n" for x, y, z in points)).encode()


def test_a_twin_left_fitting_can_be_fitted_again_through_the_api(client, auth, talent, twin,
                                                                 app):
    from datetime import timedelta

    from tests.api.helpers import assert_problem
    from tests.settings import configure
    from tryon.storage.database import session_scope
    from tryon.storage.models import ConsentGrant, utcnow
    from tryon.twins.lifecycle import start_twin

    configure(app, TWIN_BUDGET_S=120)
    assert_problem(client.post(f"/v1/twins/{twin['id']}/fit", headers=auth("studio")), 409)
    assert_problem(client.post("/v1/twins/twin_nope/fit", headers=auth("studio")), 404)
    assert_problem(client.post(f"/v1/twins/{twin['id']}/fit", headers=auth("talent")), 403)

    # A twin whose job gave up stays fitting; by the time it is fitted again, its
    # creation consent has ended: the fit is refused with the reason, the scan deleted.
    creation = make_grant(talent, "creation")
    left = start_twin(_standing_cloud(), "scan.ply", creation, blobs=current_blobs())
    with session_scope() as session:
        session.get(ConsentGrant, creation).ends_at = utcnow() - timedelta(minutes=1)
    refused = client.post(f"/v1/twins/{left.id}/fit", headers=auth("studio"))
    assert_problem(refused, 422)
    assert "ended" in refused.get_json()["detail"] or "expired" in refused.get_json()["detail"]
    assert not current_blobs().exists(left.scan_blob)
