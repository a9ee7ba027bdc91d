"""The access tests' loaded two-team world, and logins for the web pages."""

import re

from fastapi.testclient import TestClient

from tests.unit.access.conftest import PASSWORD, rsa_key, world

__all__ = ["log_in", "rsa_key", "world"]


def log_in(client: TestClient, username: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    client.cookies.clear()
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD, "next": "/search"}
    )
    assert answer.status_code == 200, answer.text
    found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert found is not None
    return found.group(1)
