"""Fixtures for the real services that scripts/services.sh starts.

Their addresses come from the environment that `eval "$(scripts/services.sh env)"` sets. A
service that is not configured or not reachable is a test failure, never a skip: CI provisions
every service, so a missing one is a broken set-up that must be seen.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

HOW = 'start them with `scripts/services.sh up` and load `eval "$(scripts/services.sh env)"`'


def require_env(name: str) -> str:
    """The value of an environment variable the services script sets, or a failed test."""
    value = os.environ.get(name, "")
    if not value:
        pytest.fail(f"{name} is not set: the integration tests need the real services; {HOW}")
    return value


@dataclass(frozen=True)
class Services:
    database_url: str
    broker_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    opensearch_hosts: list[str]


@pytest.fixture(scope="session")
def services() -> Services:
    """Where the running services are, read from the ESCR_* environment."""
    return Services(
        database_url=require_env("ESCR_DATABASE__URL"),
        broker_url=require_env("ESCR_BROKER__URL"),
        s3_endpoint=require_env("ESCR_STORAGE__ENDPOINT"),
        s3_access_key=require_env("ESCR_STORAGE__ACCESS_KEY"),
        s3_secret_key=require_env("ESCR_STORAGE__SECRET_KEY"),
        opensearch_hosts=list(json.loads(require_env("ESCR_INDEX__HOSTS"))),
    )
