"""An isolated scale-out stack for one test: its own PostgreSQL schema, S3 bucket, OpenSearch
alias and broker queues on the shared real servers, and real `escr worker` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from core.settings import Settings
from tests.integration.conftest import Services


@dataclass
class Stack:
    services: Services
    home: Path
    tag: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return f"{self.services.database_url}?options=-csearch_path%3D{self.tag}"

    def env(self) -> dict[str, str]:
        """The environment of this stack's processes (loader, workers, CLI)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("ESCR_")}
        return base | {
            "ESCR_HOME": str(self.home),
            "ESCR_DATABASE__URL": self.database_url,
            "ESCR_BROKER__URL": self.services.broker_url,
            "ESCR_BROKER__QUEUE_PREFIX": self.tag,
            "ESCR_STORAGE__BACKEND": "s3",
            "ESCR_STORAGE__ENDPOINT": self.services.s3_endpoint,
            "ESCR_STORAGE__ACCESS_KEY": self.services.s3_access_key,
            "ESCR_STORAGE__SECRET_KEY": self.services.s3_secret_key,
            "ESCR_STORAGE__BUCKET": f"escr-{self.tag}",
            "ESCR_INDEX__BACKEND": "opensearch",
            "ESCR_INDEX__HOSTS": str(self.services.opensearch_hosts).replace("'", '"'),
            "ESCR_INDEX__ALIAS": f"escr-{self.tag}",
        }

    def settings(self) -> Settings:
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(self.env())
            return Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def create(self) -> None:
        plain = self.services.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.tag}"')

    def drop(self) -> None:
        self.stop_workers()
        plain = self.services.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.tag}" CASCADE')

    def start_worker(
        self, name: str, concurrency: int = 1, queues: str | None = None
    ) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "cli.main", "worker", "--concurrency", str(concurrency)]
        if queues is not None:
            command += ["--queues", queues]
        command += ["--name", f"{name}-{self.tag}@%h"]
        with (self.home / f"worker-{name}.log").open("ab") as log:
            worker = subprocess.Popen(
                command,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(worker)
        return worker

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its sandbox children: no chance to ack or clean up."""
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        self.workers.clear()
