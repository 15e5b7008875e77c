"""Small shared checks for the API tests."""


def assert_problem(response, status: int, field: str | None = None) -> dict:
    """The response is a problem document with this status (and field, if given)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if field is not None:
        assert body.get("field") == field, body
    return body
