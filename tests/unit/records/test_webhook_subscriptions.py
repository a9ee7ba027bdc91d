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
        # The same addresses in the other spellings a resolver takes (all were accepted).
        "https://127.1/x",
        "https://2130706433/x",  # 127.0.0.1 as one decimal number
        "https://0x7f000001/x",
        "https://0177.0.0.1/x",
        "https://0/x",  # 0.0.0.0
        "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped IPv6
        "https://2852039166/latest/meta-data/",  # 169.254.169.254
        "https://[::ffff:a9fe:a9fe]/latest/meta-data/",
        "https://localhost./x",
        "https://LOCALHOST/x",
        # Metadata services outside the link-local range: AWS's over IPv6, Alibaba Cloud's.
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://100.100.100.200/latest/meta-data/",
    ],
)
def test_production_refuses_plain_http_and_this_machine(url: str) -> None:
    with pytest.raises(InvalidInput):
        _checked_url(url, https_only=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://mosaic.council.example/escr-events",
        "https://10.20.30.40/escr",
        "https://10.1/escr",  # 10.0.0.1 written short: the council's network, not this machine
    ],
)
def test_production_accepts_https_on_the_councils_network(url: str) -> None:
    assert _checked_url(url, https_only=True) == url


def test_development_accepts_a_local_receiver() -> None:
    assert _checked_url("http://127.0.0.1:8765/x", https_only=False) == "http://127.0.0.1:8765/x"
