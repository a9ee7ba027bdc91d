"""Webhook subscriptions: what a URL may be, in development and in production."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from records.webhook_subscriptions import _checked_url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://cms.example/x",
        "https://user:pass@cms.example/x",
        "https:///no-host",
        "javascript:alert(1)",
    ],
)
def test_a_url_that_is_not_a_web_address_is_refused_anywhere(url: str) -> None:
    with pytest.raises(InvalidInput):
        _checked_url(url, https_only=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://cms.example/x",  # plain HTTP
        "https://localhost/x",
        "https://127.0.0.1:8443/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest/meta-data/",  # the cloud's metadata address
        "https://0.0.0.0/x",
    ],
)
def test_production_refuses_plain_http_and_this_machine(url: str) -> None:
    with pytest.raises(InvalidInput):
        _checked_url(url, https_only=True)


@pytest.mark.parametrize(
    "url", ["https://mosaic.council.example/escr-events", "https://10.20.30.40/escr"]
)
def test_production_accepts_https_on_the_councils_network(url: str) -> None:
    assert _checked_url(url, https_only=True) == url


def test_development_accepts_a_local_receiver() -> None:
    assert _checked_url("http://127.0.0.1:8765/x", https_only=False) == "http://127.0.0.1:8765/x"
