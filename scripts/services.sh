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
# The service's own role (migrations run as PG_USER, the owner): it may read and append audit
# events but never change or remove them (docs/decisions/0018-audit-anchor-and-login-throttle.md).
PG_APP_USER="escr_app"
PG_APP_PASSWORD="escr_app"
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

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}

# Print the tail of a log file so that a failure explains itself.
show_log() {
  local file="$1"
  if [[ -f "$file" ]]; then
    printf '[services] --- last 40 lines of %s ---\n' "$file" >&2
    tail -n 40 "$file" >&2 || true
    printf '[services] --- end of %s ---\n' "$file" >&2
  else
    printf '[services] (no log at %s)\n' "$file" >&2
  fi
}

is_root() { [[ "$(id -u)" == "0" ]]; }

# Run a command as the service user (as ourselves when not root); the environment is kept.
as_svc() {
  if is_root; then
    setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups -- "$@"
  else
    "$@"
  fi
}

# Start a long-running server detached from this shell, as the service user, recording its pid.
spawn() {
  local pidfile="$1" logfile="$2"
  shift 2
  # Every step execs in place (a background child of a script is no process-group leader, so
  # setsid does not fork either), so $! is the server's own pid.
  (
    if is_root; then
      exec setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups -- setsid "$@"
    fi
    exec setsid "$@"
  ) >>"$logfile" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$pidfile"
}

pid_alive() {
  local pidfile="$1" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(tr -dc '0-9' <"$pidfile")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# Stop the process in a pid file (ours only): TERM, wait, then KILL.
kill_pidfile() {
  local pidfile="$1" name="$2" pid i
  if pid_alive "$pidfile"; then
    pid="$(tr -dc '0-9' <"$pidfile")"
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop within 60s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Wait until "$@" succeeds; on timeout or early exit, say what failed and show the log.
wait_for() {
  local name="$1" logfile="$2" pidfile="$3" timeout="$4"
  shift 4
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$pidfile" ]] && ! pid_alive "$pidfile"; then
      show_log "$logfile"
      die "$name exited during start-up (its log is above)"
    fi
    if ((SECONDS - start > timeout)); then
      show_log "$logfile"
      die "$name did not become healthy within ${timeout}s (health check: $*)"
    fi
    sleep 1
  done
  log "$name healthy after $((SECONDS - start))s"
}

# Refuse a port that another process holds: the failure would otherwise be confusing later.
require_free_port() {
  local name="$1" port="$2"
  if port_open "$port"; then
    die "$name: port $port on $HOST is in use by a process this script did not start"
  fi
}

svc_dir() {
  mkdir -p "$@"
  if is_root; then chown "$SVC_USER:$SVC_USER" "$@"; fi
}

# --- installation ---------------------------------------------------------------------------------

apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=()
  is_root || sudo=(sudo)
  log "installing Debian packages: ${missing[*]}"
  if ((APT_UPDATED == 0)); then
    if ! "${sudo[@]}" apt-get update -qq >>"$LOG_DIR/apt.log" 2>&1; then
      show_log "$LOG_DIR/apt.log"
      die "apt-get update failed"
    fi
    APT_UPDATED=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1; then
    show_log "$LOG_DIR/apt.log"
    die "apt-get install ${missing[*]} failed"
  fi
  # The packages' own init scripts may have started a system-wide server on our ports; this
  # script runs its own instances, so stop those (they are the package's, started just now).
  for pkg in "${missing[@]}"; do
    case "$pkg" in
      rabbitmq-server | postgresql)
        if command -v service >/dev/null; then
          "${sudo[@]}" service "$pkg" stop >/dev/null 2>&1 || true
        fi
        ;;
    esac
  done
}

install_packages() {
  local pkgs=(postgresql rabbitmq-server tesseract-ocr tesseract-ocr-eng libmagic1 hunspell-en-gb
    curl unzip util-linux)
  command -v mvn >/dev/null || pkgs+=(maven)
  # To validate docker-compose.yml where no Docker engine runs (tests/integration/test_compose.py).
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 ||
    pkgs+=(docker-compose)
  [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]] || compgen -G '/usr/lib/jvm/java-17-openjdk-*/bin/java' \
    >/dev/null || pkgs+=(openjdk-17-jre-headless)
  apt_install "${pkgs[@]}"
}

ensure_user() {
  is_root || return 0
  id -u "$SVC_USER" >/dev/null 2>&1 && return 0
  log "creating system user $SVC_USER (PostgreSQL and OpenSearch refuse to run as root)"
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$SVC_USER"
}

# The service user must reach SVC_HOME (which may be under /root): grant it traverse-only access
# to each ancestor with an ACL, which changes nothing for anyone else.
ensure_traverse() {
  is_root || return 0
  as_svc test -x "$SVC_HOME" && return 0
  apt_install acl
  local dir="$SVC_HOME"
  while [[ "$dir" != "/" ]]; do
    dir="$(dirname "$dir")"
    as_svc test -x "$dir" || setfacl -m "u:$SVC_USER:x" "$dir"
  done
  as_svc test -x "$SVC_HOME" ||
    die "user $SVC_USER cannot reach $SVC_HOME; set ESCR_SERVICES_HOME to a directory it can reach"
}

pg_bindir() {
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
    sort -V | tail -n 1)"
  [[ -n "$dir" ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
  printf '%s' "$dir"
}

java_home() {
  if [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]]; then
    printf '%s' "$OPENSEARCH_JAVA_HOME"
    return
  fi
  local dir
  for dir in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-*; do
    if [[ -x "$dir/bin/java" ]]; then
      printf '%s' "$dir"
      return
    fi
  done
  die "no JDK 17 or 21 under /usr/lib/jvm (apt-get install openjdk-17-jre-headless)"
}

# Compile MinIO from the Go module proxy. Slow (minutes), so `up` runs it in the background.
build_minio() {
  local marker="$BIN_DIR/minio.version" buildlog="$LOG_DIR/minio-build.log"
  if [[ -x "$BIN_DIR/minio" && "$(cat "$marker" 2>/dev/null)" == "$MINIO_VERSION" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "go is not installed (MinIO is built with go install)"
  local tmpbin="$BIN_DIR/.build-$$"
  mkdir -p "$tmpbin"
  log "building MinIO $MINIO_VERSION with $(go env GOVERSION) (minutes; log: $buildlog)"
  if ! GOBIN="$tmpbin" GOFLAGS="-mod=mod" CGO_ENABLED=0 \
    go install "$MINIO_MODULE@$MINIO_VERSION" >"$buildlog" 2>&1; then
    rm -rf "$tmpbin"
    show_log "$buildlog"
    die "building MinIO failed"
  fi
  mv -f "$tmpbin/minio" "$BIN_DIR/minio"
  rm -rf "$tmpbin"
  printf '%s\n' "$MINIO_VERSION" >"$marker"
  log "MinIO built"
}

fetch_opensearch() {
  [[ -x "$OS_HOME/bin/opensearch" ]] && return 0
  local dl="$OS_DIR/download" fetchlog="$LOG_DIR/opensearch-fetch.log"
  mkdir -p "$dl"
  log "fetching OpenSearch $OPENSEARCH_VERSION (integ-test-zip) from Maven Central"
  if ! mvn -B -q "$MVN_DEPENDENCY_PLUGIN:copy" -Dartifact="$OPENSEARCH_ARTIFACT" \
    -DoutputDirectory="$dl" >"$fetchlog" 2>&1; then
    show_log "$fetchlog"
    die "fetching $OPENSEARCH_ARTIFACT with mvn failed"
  fi
  rm -rf "$OS_HOME.tmp"
  mkdir -p "$OS_HOME.tmp"
  unzip -q "$dl/opensearch-$OPENSEARCH_VERSION.zip" -d "$OS_HOME.tmp"
  mv "$OS_HOME.tmp/opensearch-$OPENSEARCH_VERSION" "$OS_HOME"
  rm -rf "$OS_HOME.tmp" "$dl"
  # The integ-test distribution lacks the analysis-common module (so no built-in `english`
  # analyzer); core's hunspell filter with Debian's en_GB dictionary stands in for its stemmer.
  mkdir -p "$OS_HOME/config/hunspell/en_GB"
  cp /usr/share/hunspell/en_GB.dic /usr/share/hunspell/en_GB.aff "$OS_HOME/config/hunspell/en_GB/"
}

# --- PostgreSQL -----------------------------------------------------------------------------------

pg_running() { pg_isready -q -h "$HOST" -p "$PG_PORT" -d postgres; }

start_postgres() {
  local bin data="$PG_DIR/data" logfile="$LOG_DIR/postgres.log"
  bin="$(pg_bindir)"
  if [[ -f "$data/postmaster.pid" ]] && pg_running; then
    log "postgres already running on $HOST:$PG_PORT"
    provision_app_role
    return 0
  fi
  svc_dir "$PG_DIR" "$PG_DIR/run"
  if [[ ! -f "$data/PG_VERSION" ]]; then
    log "initialising a PostgreSQL cluster in $data"
    local pwfile="$PG_DIR/run/pwfile"
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    if is_root; then chown "$SVC_USER" "$pwfile"; fi
    if ! as_svc "$bin/initdb" -D "$data" -U "$PG_USER" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 \
      >"$LOG_DIR/postgres-initdb.log" 2>&1; then
      rm -f "$pwfile"
      show_log "$LOG_DIR/postgres-initdb.log"
      die "initdb failed"
    fi
    rm -f "$pwfile"
  fi
  require_free_port postgres "$PG_PORT"
  log "starting postgres on $HOST:$PG_PORT"
  : >>"$logfile"
  if is_root; then chown "$SVC_USER" "$logfile"; fi
  # pg_ctl -w waits until the server accepts connections.
  if ! as_svc "$bin/pg_ctl" -D "$data" -l "$logfile" -w -t "$HEALTH_TIMEOUT" \
    -o "-c listen_addresses=$HOST -p $PG_PORT -k $PG_DIR/run" start >/dev/null 2>&1; then
    show_log "$logfile"
    die "postgres failed to start"
  fi
  wait_for postgres "$logfile" "" 30 pg_running
  if ! PGPASSWORD="$PG_PASSWORD" psql -h "$HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
    PGPASSWORD="$PG_PASSWORD" createdb -h "$HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
  fi
  provision_app_role
}

# Idempotent: every table the owner makes is the app role's to read and write, except that
# audit_events takes only SELECT and INSERT (migration 0008 revokes the rest when it runs; this
# revokes it again for a catalog migrated before the role's grants were renewed here).
provision_app_role() {
  PGPASSWORD="$PG_PASSWORD" psql -h "$HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -q \
    -v ON_ERROR_STOP=1 >/dev/null <<SQL || die "could not provision the $PG_APP_USER role"
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_APP_USER') THEN
    CREATE ROLE $PG_APP_USER LOGIN PASSWORD '$PG_APP_PASSWORD';
  END IF;
END \$\$;
GRANT CONNECT ON DATABASE $PG_DB TO $PG_APP_USER;
GRANT USAGE ON SCHEMA public TO $PG_APP_USER;
ALTER DEFAULT PRIVILEGES FOR ROLE $PG_USER IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO $PG_APP_USER;
ALTER DEFAULT PRIVILEGES FOR ROLE $PG_USER IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO $PG_APP_USER;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO $PG_APP_USER;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO $PG_APP_USER;
DO \$\$ BEGIN
  IF to_regclass('public.audit_events') IS NOT NULL THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_events FROM $PG_APP_USER;
  END IF;
END \$\$;
SQL
}

stop_postgres() {
  [[ -f "$PG_DIR/data/postmaster.pid" ]] || return 0
  log "stopping postgres"
  as_svc "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# --- RabbitMQ -------------------------------------------------------------------------------------

RABBIT_ENV=(
  "HOME=$RABBIT_DIR"
  "RABBITMQ_NODENAME=$RABBIT_NODE"
  "RABBITMQ_NODE_IP_ADDRESS=$HOST"
  "RABBITMQ_NODE_PORT=$AMQP_PORT"
  "RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT"
  "ERL_EPMD_ADDRESS=$HOST"
  "ERL_EPMD_PORT=$EPMD_PORT"
  "RABBITMQ_CONF_ENV_FILE=$RABBIT_DIR/rabbitmq-env.conf"
  "RABBITMQ_CONFIG_FILE=$RABBIT_DIR/rabbitmq.conf"
  "RABBITMQ_ADVANCED_CONFIG_FILE=$RABBIT_DIR/advanced.config"
  "RABBITMQ_ENABLED_PLUGINS_FILE=$RABBIT_DIR/enabled_plugins"
  "RABBITMQ_MNESIA_BASE=$RABBIT_DIR/mnesia"
  "RABBITMQ_LOG_BASE=$LOG_DIR/rabbitmq"
)

rabbitmqctl_() {
  (cd "$RABBIT_DIR" && as_svc env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl \
    -n "$RABBIT_NODE" -q "$@")
}

rabbit_running() { pid_alive "$RUN_DIR/rabbitmq.pid" && port_open "$AMQP_PORT"; }
rabbit_ready() { port_open "$AMQP_PORT" && rabbitmqctl_ await_startup --timeout 5; }

start_rabbitmq() {
  local logfile="$LOG_DIR/rabbitmq.log"
  if rabbit_running; then
    log "rabbitmq already running on $HOST:$AMQP_PORT"
    return 0
  fi
  svc_dir "$RABBIT_DIR" "$LOG_DIR/rabbitmq"
  : >"$RABBIT_DIR/rabbitmq-env.conf"
  printf '[].\n' >"$RABBIT_DIR/enabled_plugins"
  printf '[].\n' >"$RABBIT_DIR/advanced.config"
  cat >"$RABBIT_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = $HOST:$AMQP_PORT
disk_free_limit.absolute = 50MB
EOF
  : >>"$logfile"
  if is_root; then chown "$SVC_USER:$SVC_USER" "$RABBIT_DIR"/* "$logfile"; fi
  require_free_port rabbitmq "$AMQP_PORT"
  log "starting rabbitmq node $RABBIT_NODE on $HOST:$AMQP_PORT"
  (cd "$RABBIT_DIR" && spawn "$RUN_DIR/rabbitmq.pid" "$logfile" \
    env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server)
  wait_for rabbitmq "$logfile" "$RUN_DIR/rabbitmq.pid" "$HEALTH_TIMEOUT" rabbit_ready
  if ! rabbitmqctl_ list_users | grep -q "^${RABBIT_USER}[[:space:]]"; then
    rabbitmqctl_ add_user "$RABBIT_USER" "$RABBIT_PASSWORD" >/dev/null
    rabbitmqctl_ set_permissions -p / "$RABBIT_USER" ".*" ".*" ".*" >/dev/null
  fi
}

stop_rabbitmq() {
  pid_alive "$RUN_DIR/rabbitmq.pid" || return 0
  log "stopping rabbitmq"
  rabbitmqctl_ shutdown >/dev/null 2>&1 || true
  kill_pidfile "$RUN_DIR/rabbitmq.pid" rabbitmq
  # The node started its own epmd (the Erlang port mapper) on our address; stop it too.
  as_svc env ERL_EPMD_ADDRESS="$HOST" ERL_EPMD_PORT="$EPMD_PORT" epmd -kill >/dev/null 2>&1 || true
}

# --- MinIO ----------------------------------------------------------------------------------------

minio_healthy() { curl -fsS -m 2 "http://$HOST:$MINIO_PORT/minio/health/live"; }

start_minio() {
  local logfile="$LOG_DIR/minio.log"
  if pid_alive "$RUN_DIR/minio.pid" && minio_healthy >/dev/null 2>&1; then
    log "minio already running on $HOST:$MINIO_PORT"
    return 0
  fi
  svc_dir "$MINIO_DIR" "$MINIO_DIR/data" "$MINIO_DIR/config"
  require_free_port minio "$MINIO_PORT"
  log "starting minio on $HOST:$MINIO_PORT"
  : >>"$logfile"
  if is_root; then chown "$SVC_USER" "$logfile"; fi
  spawn "$RUN_DIR/minio.pid" "$logfile" env HOME="$MINIO_DIR" \
    MINIO_ROOT_USER="$MINIO_ROOT_USER" MINIO_ROOT_PASSWORD="$MINIO_ROOT_PASSWORD" \
    MINIO_BROWSER=off MINIO_UPDATE=off \
    "$BIN_DIR/minio" server "$MINIO_DIR/data" --config-dir "$MINIO_DIR/config" \
    --address "$HOST:$MINIO_PORT" --console-address "$HOST:$MINIO_CONSOLE_PORT" --quiet
  wait_for minio "$logfile" "$RUN_DIR/minio.pid" "$HEALTH_TIMEOUT" minio_healthy
}

stop_minio() { kill_pidfile "$RUN_DIR/minio.pid" minio; }

# --- OpenSearch -----------------------------------------------------------------------------------

opensearch_healthy() {
  curl -fsS -m 5 "http://$HOST:$OPENSEARCH_PORT/_cluster/health?wait_for_status=yellow&timeout=2s"
}

start_opensearch() {
  local logfile="$LOG_DIR/opensearch.log" jhome
  if pid_alive "$RUN_DIR/opensearch.pid" && opensearch_healthy >/dev/null 2>&1; then
    log "opensearch already running on $HOST:$OPENSEARCH_PORT"
    return 0
  fi
  jhome="$(java_home)"
  svc_dir "$OS_DIR/data" "$OS_DIR/logs" "$OS_DIR/tmp" "$OS_HOME/config" "$OS_HOME/logs"
  if is_root; then chown -R "$SVC_USER:$SVC_USER" "$OS_HOME/config"; fi
  require_free_port opensearch "$OPENSEARCH_PORT"
  log "starting opensearch $OPENSEARCH_VERSION on $HOST:$OPENSEARCH_PORT (java: $jhome)"
  : >>"$logfile"
  if is_root; then chown "$SVC_USER" "$logfile"; fi
  spawn "$RUN_DIR/opensearch.pid" "$logfile" env HOME="$OS_DIR" \
    OPENSEARCH_JAVA_HOME="$jhome" OPENSEARCH_TMPDIR="$OS_DIR/tmp" \
    OPENSEARCH_JAVA_OPTS="-Xms512m -Xmx512m" \
    "$OS_HOME/bin/opensearch" \
    -Ecluster.name=escr-dev -Enode.name=escr-dev-1 -Ediscovery.type=single-node \
    -Enetwork.host="$HOST" -Ehttp.port="$OPENSEARCH_PORT" \
    -Etransport.port="$OPENSEARCH_TRANSPORT_PORT" \
    -Epath.data="$OS_DIR/data" -Epath.logs="$OS_DIR/logs" \
    -Ecluster.routing.allocation.disk.threshold_enabled=false \
    -Eaction.auto_create_index=false
  wait_for opensearch "$logfile" "$RUN_DIR/opensearch.pid" "$HEALTH_TIMEOUT" opensearch_healthy
}

stop_opensearch() { kill_pidfile "$RUN_DIR/opensearch.pid" opensearch; }

# --- commands -------------------------------------------------------------------------------------

cmd_up() {
  local start=$SECONDS build_pid=""
  mkdir -p "$SVC_HOME" "$BIN_DIR" "$LOG_DIR" "$RUN_DIR"
  # The compile is the slowest step: start it first and do everything else meanwhile.
  if [[ ! -x "$BIN_DIR/minio" || "$(cat "$BIN_DIR/minio.version" 2>/dev/null)" != "$MINIO_VERSION" ]]; then
    build_minio &
    build_pid=$!
  fi
  install_packages
  ensure_user
  ensure_traverse
  if is_root; then chown "$SVC_USER:$SVC_USER" "$LOG_DIR" "$RUN_DIR"; fi
  fetch_opensearch
  start_postgres
  start_rabbitmq
  start_opensearch
  if [[ -n "$build_pid" ]]; then
    log "waiting for the MinIO build"
    wait "$build_pid" || die "building MinIO failed (log: $LOG_DIR/minio-build.log)"
  fi
  start_minio
  log "all services up in $((SECONDS - start))s; load them with: eval \"\$($0 env)\""
}

cmd_down() {
  stop_opensearch
  stop_minio
  stop_rabbitmq
  stop_postgres
}

cmd_status() {
  local bad=0
  if pg_running >/dev/null 2>&1; then echo "postgres   up    $HOST:$PG_PORT"; else
    echo "postgres   down"
    bad=1
  fi
  if rabbit_running; then echo "rabbitmq   up    $HOST:$AMQP_PORT"; else
    echo "rabbitmq   down"
    bad=1
  fi
  if minio_healthy >/dev/null 2>&1; then echo "minio      up    $HOST:$MINIO_PORT"; else
    echo "minio      down"
    bad=1
  fi
  if opensearch_healthy >/dev/null 2>&1; then echo "opensearch up    $HOST:$OPENSEARCH_PORT"; else
    echo "opensearch down"
    bad=1
  fi
  return "$bad"
}

cmd_env() {
  cat <<EOF
export ESCR_SERVICES_HOME='$SVC_HOME'
export ESCR_DATABASE__URL='postgresql+psycopg://$PG_USER:$PG_PASSWORD@$HOST:$PG_PORT/$PG_DB'
export ESCR_BROKER__URL='amqp://$RABBIT_USER:$RABBIT_PASSWORD@$HOST:$AMQP_PORT//'
export ESCR_STORAGE__BACKEND='s3'
export ESCR_STORAGE__ENDPOINT='$HOST:$MINIO_PORT'
export ESCR_STORAGE__ACCESS_KEY='$MINIO_ROOT_USER'
export ESCR_STORAGE__SECRET_KEY='$MINIO_ROOT_PASSWORD'
export ESCR_STORAGE__SECURE='false'
export ESCR_INDEX__BACKEND='opensearch'
export ESCR_INDEX__HOSTS='["http://$HOST:$OPENSEARCH_PORT"]'
EOF
}

# One service at a time, for the fault tests (a service stopped mid-load, then back).
cmd_one() {
  local action=$1 name=${2:-}
  case "$name" in
    postgres | rabbitmq | minio | opensearch) "${action}_${name}" ;;
    *) die "usage: $0 $action {postgres|rabbitmq|minio|opensearch}" ;;
  esac
}

main() {
  case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    start | stop) cmd_one "$1" "${2:-}" ;;
    *)
      echo "usage: $0 {up|down|status|env|start NAME|stop NAME}" >&2
      exit 2
      ;;
  esac
}

main "$@"
