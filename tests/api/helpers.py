"""Small shared checks for the API tests."""

import time


def assert_problem(response, status: int, field: str | None = None) -> dict:
    """The response is a problem document with this status (and field, if given)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def poll_job(client, location: str, headers: dict, timeout: float = 180.0) -> dict:
    """GET a job URL until it is done or failed (or ``timeout`` seconds pass)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(location, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        job = response.get_json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        assert response.headers["Retry-After"] == "1"
        time.sleep(0.1)


def fit_answer(client, url: str, headers: dict):
    """GET a /v1/fit URL, following its 202s' jobs (one size's drape each; a garment with
    a size chart answers 202 within a second while they run) until the final answer."""
    for _ in range(12):
        response = client.get(url, headers=headers)
        if response.status_code != 202:
            return response
        assert poll_job(client, response.headers["Location"], headers)["status"] == "done"
    raise AssertionError("still 202 after every size's drape")
