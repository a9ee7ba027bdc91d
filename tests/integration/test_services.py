"""The scale-out services are up and accept real clients."""

from __future__ import annotations

import json
import urllib.request
import uuid

import psycopg
import pytest
from kombu import Connection, Exchange, Queue  # type: ignore[attr-defined]
from minio import Minio
from opensearchpy import OpenSearch

from tests.integration.conftest import HOW, Services

pytestmark = pytest.mark.integration


def test_postgres_accepts_a_connection(services: Services) -> None:
    # SQLAlchemy's URL names the driver; psycopg wants the plain libpq form.
    url = services.database_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute("SELECT current_database(), current_user").fetchone()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {url.split('@')[-1]} refused a connection ({exc}); {HOW}")
    assert row == ("escr", "escr")


def test_rabbitmq_round_trips_a_message(services: Services) -> None:
    name = f"escr-test-{uuid.uuid4().hex}"
    exchange = Exchange(name, type="direct")  # type: ignore[no-untyped-call]
    queue = Queue(name, exchange, routing_key=name, auto_delete=True)  # type: ignore[no-untyped-call]
    with Connection(services.broker_url, connect_timeout=5) as conn:  # type: ignore[no-untyped-call]
        try:
            conn.ensure_connection(max_retries=1)
        except Exception as exc:
            pytest.fail(
                f"RabbitMQ at {services.broker_url.split('@')[-1]} refused AMQP: {exc}; {HOW}"
            )
        with conn.Producer() as producer:
            producer.publish(
                {"id": 1},
                exchange=queue.exchange,
                routing_key=name,
                declare=[queue],
                serializer="json",
            )
        with conn.SimpleQueue(queue) as simple:
            message = simple.get(block=True, timeout=5)
            message.ack()
    assert message.payload == {"id": 1}


def test_minio_is_healthy_and_accepts_credentials(services: Services) -> None:
    url = f"http://{services.s3_endpoint}/minio/health/live"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
    client = Minio(
        services.s3_endpoint, services.s3_access_key, services.s3_secret_key, secure=False
    )
    client.list_buckets()


def test_opensearch_is_healthy(services: Services) -> None:
    client = OpenSearch(hosts=services.opensearch_hosts, timeout=10)
    health = client.cluster.health(wait_for_status="yellow")
    assert health["status"] in {"yellow", "green"}
    assert json.loads(json.dumps(client.info()))["version"]["number"].startswith("2.")
