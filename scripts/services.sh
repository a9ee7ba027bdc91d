#!/usr/bin/env bash
# Scale-out services for development and CI, started natively (no Docker):
# PostgreSQL, RabbitMQ, MinIO and OpenSearch on 127.0.0.1, plus Tesseract and libmagic.
#
#   scripts/services.sh up       install what is missing, start what is stopped, wait for health
#   scripts/services.sh down     stop what this script started (by pid file)
#   scripts/services.sh status   one line per service; exit 1 if any is down
#   scripts/services.sh env      ESCR_* variables for the running services: eval "$(... env)"
#
# Everything lives outside the checkout, in ESCR_SERVICES_HOME (default ~/.cache/escr-services).
# Run as root, the servers run as the unprivileged user ESCR_SERVICES_USER (default escrsvc),
# because PostgreSQL and OpenSearch refuse to run as root.
set -euo pipefail

# --- pins (docs/decisions/0005-native-services.md says why) --------------------------------------
MINIO_MODULE="github.com/minio/minio"
# The Go module proxy serves MinIO's commits as pseudo-versions only (its RELEASE.* tags are not
# semver and the proxy refuses them); this is the last commit of the upstream repository.
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
OPENSEARCH_VERSION="2.19.4" # last 2.x line: runs on JDK 17 (3.x needs JDK 21)
OPENSEARCH_ARTIFACT="org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip"
MVN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# --- layout and ports -----------------------------------------------------------------------------
SVC_HOME="${ESCR_SERVICES_HOME:-$HOME/.cache/escr-services}"
SVC_USER="${ESCR_SERVICES_USER:-escrsvc}"
HOST="127.0.0.1"
PG_PORT=55432
AMQP_PORT=5672
RABBIT_DIST_PORT=25672
EPMD_PORT=4369
MINIO_PORT=9000
MINIO_CONSOLE_PORT=9001
OPENSEARCH_PORT=9200
OPENSEARCH_TRANSPORT_PORT=9300
PG_USER="escr"
PG_PASSWORD="escr"
PG_DB="escr"
RABBIT_NODE="escr@localhost"
RABBIT_USER="escr"
RABBIT_PASSWORD="escr"
MINIO_ROOT_USER="escr-admin"
MINIO_ROOT_PASSWORD="escr-secret-key"
HEALTH_TIMEOUT="${ESCR_SERVICES_TIMEOUT:-180}"

BIN_DIR="$SVC_HOME/bin"
LOG_DIR="$SVC_HOME/logs"
RUN_DIR="$SVC_HOME/run"
PG_DIR="$SVC_HOME/postgres"
RABBIT_DIR="$SVC_HOME/rabbitmq"
MINIO_DIR="$SVC_HOME/minio"
OS_DIR="$SVC_HOME/opensearch"
OS_HOME="$OS_DIR/opensearch-$OPENSEARCH_VERSION"

APT_UPDATED=0

