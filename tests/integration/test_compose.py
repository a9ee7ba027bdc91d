"""docker-compose.yml, the production stack, is a valid compose file that insists on its secrets.

No Docker engine runs here; `config` only parses and interpolates, which needs none. The
compose client comes from scripts/services.sh (Debian's docker-compose where the docker CLI has
no compose plugin).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
SECRETS = ("ESCR_API_TOKEN", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "MINIO_ROOT_PASSWORD")


def _compose() -> list[str]:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is None:
        pytest.fail("no compose client: run scripts/services.sh up, which installs docker-compose")
    return [legacy]


def _config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_compose(), "-f", str(COMPOSE_FILE), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_is_valid_with_its_secrets() -> None:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    done = _config(env | {name: "placeholder-secret" for name in SECRETS})
    assert done.returncode == 0, done.stderr


def test_compose_file_refuses_to_start_without_secrets() -> None:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    done = _config(env)
    assert done.returncode != 0
    assert "ESCR_API_TOKEN" in done.stderr or "POSTGRES_PASSWORD" in done.stderr
