#!/usr/bin/env bash
# Make PostgreSQL and Redis available for Holdfast (dev / test / CI).
#
#   bash scripts/services.sh up|down|status|env
#
#   up      Use DATABASE_URL / REDIS_URL from the environment if they answer;
#           otherwise start project-local servers (PostgreSQL on 127.0.0.1:54329,
#           Redis on 127.0.0.1:63799, data under <repo>/.data). Idempotent.
#           HOLDFAST_PG_PORT / HOLDFAST_REDIS_PORT choose other ports, so two
#           checkouts (each with its own .data) can run side by side.
#           Prints DATABASE_URL=... and REDIS_URL=... on stdout; everything
#           else goes to stderr.
#   down    Stop only the servers this script started (recorded in .data/started).
#   status  Report where each service is; exit 0 if both are up, 1 otherwise.
#   env     Print the DATABASE_URL=/REDIS_URL= lines to use, starting nothing.
set -euo pipefail
shopt -s inherit_errexit

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA_DIR="$REPO_ROOT/.data"
STARTED_FILE="$DATA_DIR/started"
PGDATA_RECORD="$DATA_DIR/pgdata"
LOCK_FILE="$DATA_DIR/.lock"

# Ports of the project-local servers; override to run two checkouts at once.
PG_PORT="${HOLDFAST_PG_PORT:-54329}"
REDIS_PORT="${HOLDFAST_REDIS_PORT:-63799}"
for port_var in PG_PORT REDIS_PORT; do
  if ! [[ "${!port_var}" =~ ^[0-9]+$ ]] || (( 10#${!port_var} < 1 || 10#${!port_var} > 65535 )); then
    printf '[services] ERROR: HOLDFAST_%s must be a TCP port (1-65535), got "%s"\n' "$port_var" "${!port_var}" >&2
    exit 2
  fi
done
PG_HOST=127.0.0.1
PG_DB=holdfast
PG_ROLE=holdfast
PG_PASSWORD=holdfast
PG_SUPERUSER=postgres
LOCAL_DATABASE_URL="postgres://$PG_ROLE:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DB"

REDIS_HOST=127.0.0.1
REDIS_DIR="$DATA_DIR/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_PORTFILE="$REDIS_DIR/port" # the port our server was started on (down must not follow a changed HOLDFAST_REDIS_PORT)
REDIS_LOGFILE="$REDIS_DIR/redis.log"
LOCAL_REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT"

WAIT_SECONDS=20

IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  echo "usage: bash scripts/services.sh up|down|status|env" >&2
  exit 2
}

# ---------------------------------------------------------------- bookkeeping

ensure_data_dir() {
  mkdir -p "$DATA_DIR"
  # Our own directory: make it traversable so the postgres user can reach pg/.
  chmod 755 "$DATA_DIR"
}

# fd 9 holds the lock; servers are started with 9>&- so they don't inherit it.
take_lock() {
  ensure_data_dir
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another 'services.sh' run holds $LOCK_FILE for >120 s"
}

is_recorded() { [[ -f "$STARTED_FILE" ]] && grep -qx "$1" "$STARTED_FILE"; }

record_started() {
  is_recorded "$1" || echo "$1" >>"$STARTED_FILE"
}

unrecord_started() {
  [[ -f "$STARTED_FILE" ]] || return 0
  local tmp
  tmp="$(mktemp "$DATA_DIR/.started.XXXXXX")"
  grep -vx "$1" "$STARTED_FILE" >"$tmp" || true
  mv "$tmp" "$STARTED_FILE"
  [[ -s "$STARTED_FILE" ]] || rm -f "$STARTED_FILE"
}

apt_install() {
  log "installing via apt: $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2 9>&-
  apt-get install -y --no-install-recommends "$@" >&2 9>&-
}

# ------------------------------------------------------------------ PostgreSQL

# Newest /usr/lib/postgresql/<ver>/bin containing the given program.
newest_pg_bin_with() {
  local prog="$1" d best=""
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [[ -x "$d/$prog" ]] && best="$d"
  done
  [[ -n "$best" ]] && echo "$best"
}

# Sets PGBIN to a directory with initdb + pg_ctl (installing if root).
PGBIN=""
ensure_pg_server_binaries() {
  [[ -n "$PGBIN" ]] && return 0
  PGBIN="$(newest_pg_bin_with pg_ctl || true)"
  if [[ -z "$PGBIN" || ! -x "$PGBIN/initdb" ]]; then
    if [[ $IS_ROOT -eq 1 ]]; then
      # The Debian package may create and auto-start a 'main' cluster on 5432.
      # We never use it (own port, own data dir, own socket dir).
      apt_install postgresql
      PGBIN="$(newest_pg_bin_with pg_ctl || true)"
    fi
    if [[ -z "$PGBIN" || ! -x "$PGBIN/initdb" ]]; then
      die "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/pg_ctl).
  Install them, e.g.:  sudo apt-get install -y postgresql
  or point DATABASE_URL at a reachable server and re-run."
    fi
  fi
  if [[ $IS_ROOT -eq 1 ]] && ! id -u "$PG_SUPERUSER" >/dev/null 2>&1; then
    log "creating system user '$PG_SUPERUSER' (PostgreSQL refuses to run as root)"
    useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_SUPERUSER"
  fi
}

# Path to a psql / pg_isready (no install).
pg_client() {
  local prog="$1" d
  d="$(newest_pg_bin_with "$prog" || true)"
  if [[ -n "$d" ]]; then echo "$d/$prog"; return 0; fi
  command -v "$prog" 2>/dev/null
}

# Does the PostgreSQL server at the URL accept a query?
pg_url_answers() {
  local url="$1" psql_bin isready_bin
  if psql_bin="$(pg_client psql)"; then
    PGCONNECT_TIMEOUT=5 timeout 15 "$psql_bin" "$url" -XqAt -c 'select 1' >/dev/null 2>&1
  elif isready_bin="$(pg_client pg_isready)"; then
    timeout 15 "$isready_bin" -q -t 5 -d "$url" >/dev/null 2>&1
  else
    return 1
  fi
}

local_pg_port_answers() {
  local isready_bin
  if isready_bin="$(pg_client pg_isready)"; then
    timeout 10 "$isready_bin" -q -t 3 -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1
  else
    # No client tools: fall back to a bare TCP probe.
    timeout 3 bash -c "exec 3<>/dev/tcp/$PG_HOST/$PG_PORT" 2>/dev/null
  fi
}

# Run a command as the user that owns the cluster.
as_pg() {
  if [[ $IS_ROOT -eq 1 ]]; then
    (cd / && runuser -u "$PG_SUPERUSER" -- "$@")
  else
    "$@"
  fi
}

# Decide the data dir. Sets PGDATA_DIR, PG_LOG, PG_SOCKDIR.
PGDATA_DIR=""
PG_LOG=""
PG_SOCKDIR=""
resolve_pgdata() {
  local preferred="$DATA_DIR/pg" fallback
  fallback="/var/tmp/holdfast-$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)/pg"

  if [[ -f "$PGDATA_RECORD" ]]; then
    PGDATA_DIR="$(cat "$PGDATA_RECORD")"
  elif [[ $IS_ROOT -eq 1 ]]; then
    # .data itself is created 0755 by us; what matters is whether the
    # postgres user can traverse the directories leading to it.
    local probe="$DATA_DIR"
    [[ -d "$probe" ]] || probe="$REPO_ROOT"
    if id -u "$PG_SUPERUSER" >/dev/null 2>&1 \
       && runuser -u "$PG_SUPERUSER" -- test -x "$probe" 2>/dev/null; then
      PGDATA_DIR="$preferred"
    else
      PGDATA_DIR="$fallback"
    fi
  else
    PGDATA_DIR="$preferred"
  fi
  PG_LOG="$(dirname "$PGDATA_DIR")/pg.log"

  # Unix socket next to the data (no /var/run/postgresql needed); /tmp if the
  # path is too long for a socket address or would need quoting.
  local sock_path="$PGDATA_DIR/.s.PGSQL.$PG_PORT"
  if (( ${#sock_path} > 100 )) || [[ "$PGDATA_DIR" =~ [^A-Za-z0-9_./-] ]]; then
    PG_SOCKDIR=/tmp
  else
    PG_SOCKDIR="$PGDATA_DIR"
  fi
}

prepare_pgdata() {
  local parent
  parent="$(dirname "$PGDATA_DIR")"
  mkdir -p "$parent"
  if [[ "$PGDATA_DIR" != "$DATA_DIR/pg" ]]; then
    log "postgres user cannot traverse $DATA_DIR's parents; using data dir $PGDATA_DIR"
  fi
  if [[ $IS_ROOT -eq 1 ]]; then
    if [[ "$parent" != "$DATA_DIR" ]]; then
      chown "$PG_SUPERUSER:" "$parent"
      chmod 700 "$parent"
    fi
    mkdir -p "$PGDATA_DIR"
    if [[ "$(stat -c %U "$PGDATA_DIR")" != "$PG_SUPERUSER" ]]; then
      chown -R "$PG_SUPERUSER:" "$PGDATA_DIR"
    fi
    touch "$PG_LOG"
    chown "$PG_SUPERUSER:" "$PG_LOG"
    runuser -u "$PG_SUPERUSER" -- test -w "$PGDATA_DIR" \
      || die "postgres user cannot write $PGDATA_DIR"
  else
    mkdir -p "$PGDATA_DIR"
    touch "$PG_LOG"
  fi
  chmod 700 "$PGDATA_DIR"
  echo "$PGDATA_DIR" >"$PGDATA_RECORD"
}

our_pg_running() {
  [[ -n "$PGBIN" && -f "$PGDATA_DIR/postmaster.pid" ]] || return 1
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

pg_superuser_psql() {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres "$@"
}

ensure_role_and_db() {
  pg_superuser_psql >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_ROLE'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB')
\gexec
SQL
}

# Prints the DATABASE_URL to use (stdout).
pg_up() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    if pg_url_answers "$DATABASE_URL"; then
      log "postgres: using DATABASE_URL from the environment (answers); starting nothing"
      echo "$DATABASE_URL"
      return 0
    fi
    log "postgres: DATABASE_URL is set but does not answer; falling back to the local server"
  fi

  ensure_pg_server_binaries
  resolve_pgdata

  if our_pg_running; then
    # postmaster.pid's 4th line is the port the running cluster listens on.
    local running_port
    running_port="$(sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)"
    if [[ -n "$running_port" && "$running_port" != "$PG_PORT" ]]; then
      die "this checkout's PostgreSQL already runs on port $running_port, not $PG_PORT (HOLDFAST_PG_PORT).
  Stop it first (bash scripts/services.sh down with the old port) or use the old port."
    fi
    log "postgres: already up (data $PGDATA_DIR, port $PG_PORT)"
    record_started postgres
    ensure_role_and_db
    echo "$LOCAL_DATABASE_URL"
    return 0
  fi

  if local_pg_port_answers; then
    # Something else listens on our port.
    if pg_url_answers "$LOCAL_DATABASE_URL"; then
      log "postgres: port $PG_PORT is served by a server this script did not start; using it as is"
      echo "$LOCAL_DATABASE_URL"
      return 0
    fi
    die "port $PG_HOST:$PG_PORT is taken by something that does not accept $LOCAL_DATABASE_URL"
  fi

  prepare_pgdata

  if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
    log "postgres: initdb in $PGDATA_DIR ($PGBIN)"
    # Without initdb's closing "you can now start the server using pg_ctl …": this script starts it.
    local quiet=()
    if "$PGBIN/initdb" --help 2>/dev/null | grep -q -- --no-instructions; then quiet=(--no-instructions); fi
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U "$PG_SUPERUSER" -A trust -E UTF8 --locale=C ${quiet[@]+"${quiet[@]}"} >&2
  else
    local have want
    have="$(cat "$PGDATA_DIR/PG_VERSION")"
    want="$(basename "$(dirname "$PGBIN")")"
    if [[ "$have" != "$want" ]]; then
      die "data dir $PGDATA_DIR is PostgreSQL $have but the binaries are $want ($PGBIN).
  Remove the data dir (rm -rf '$PGDATA_DIR') to re-initialise, or install PostgreSQL $have."
    fi
  fi

  log "postgres: starting on $PG_HOST:$PG_PORT (log $PG_LOG)"
  local opts="-p $PG_PORT -c listen_addresses=$PG_HOST -k $PG_SOCKDIR -c max_connections=400 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on"
  if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -l "$PG_LOG" -o "$opts" start >&2 9>&-; then
    log "postgres: failed to start; last lines of $PG_LOG:"
    tail -n 30 "$PG_LOG" >&2 || true
    exit 1
  fi
  record_started postgres
  ensure_role_and_db
  pg_url_answers "$LOCAL_DATABASE_URL" || die "postgres started but $LOCAL_DATABASE_URL does not answer"
  log "postgres: up (data $PGDATA_DIR)"
  echo "$LOCAL_DATABASE_URL"
}

pg_down() {
  if ! is_recorded postgres; then
    log "postgres: not started by this script; leaving it alone"
    return 0
  fi
  PGBIN="$(newest_pg_bin_with pg_ctl || true)"
  [[ -n "$PGBIN" ]] || die "postgres recorded as started but pg_ctl not found"
  resolve_pgdata
  if our_pg_running; then
    log "postgres: stopping (data $PGDATA_DIR)"
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -m fast stop >&2
  else
    log "postgres: already stopped"
  fi
  unrecord_started postgres
}

pg_status() {
  if [[ -n "${DATABASE_URL:-}" ]] && pg_url_answers "$DATABASE_URL"; then
    log "postgres: up (DATABASE_URL from environment: $DATABASE_URL)"
    return 0
  fi
  [[ -n "${DATABASE_URL:-}" ]] && log "postgres: DATABASE_URL from environment does not answer ($DATABASE_URL)"
  PGBIN="$(newest_pg_bin_with pg_ctl || true)"
  resolve_pgdata
  if pg_url_answers "$LOCAL_DATABASE_URL"; then
    if our_pg_running; then
      log "postgres: up (local, $LOCAL_DATABASE_URL, data $PGDATA_DIR)"
    else
      log "postgres: up ($LOCAL_DATABASE_URL, not started by this script)"
    fi
    return 0
  fi
  log "postgres: down (local would be $LOCAL_DATABASE_URL, data $PGDATA_DIR)"
  return 1
}

# ----------------------------------------------------------------------- Redis

ensure_redis_cli() {
  command -v redis-cli >/dev/null 2>&1 && return 0
  if [[ $IS_ROOT -eq 1 ]]; then
    # redis-server pulls in redis-tools (redis-cli). The package may auto-start
    # a system redis on 6379; we leave it alone and use our own port.
    apt_install redis-server
  fi
  command -v redis-cli >/dev/null 2>&1 \
    || die "redis-cli not found. Install it, e.g.:  sudo apt-get install -y redis-server (or redis-tools)"
}

ensure_redis_server() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [[ $IS_ROOT -eq 1 ]]; then
    apt_install redis-server
  fi
  command -v redis-server >/dev/null 2>&1 \
    || die "redis-server not found. Install it, e.g.:  sudo apt-get install -y redis-server
  or point REDIS_URL at a reachable server and re-run."
}

redis_url_answers() {
  command -v redis-cli >/dev/null 2>&1 || return 1
  [[ "$(timeout 5 redis-cli --no-auth-warning -u "$1" ping 2>/dev/null)" == "PONG" ]]
}

local_redis_answers() {
  command -v redis-cli >/dev/null 2>&1 || return 1
  [[ "$(timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}

redis_pid() {
  [[ -f "$REDIS_PIDFILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$REDIS_PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

our_redis_running() { redis_pid >/dev/null && local_redis_answers; }

redis_up() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    ensure_redis_cli
    if redis_url_answers "$REDIS_URL"; then
      log "redis: using REDIS_URL from the environment (answers PONG); starting nothing"
      echo "$REDIS_URL"
      return 0
    fi
    log "redis: REDIS_URL is set but does not answer; falling back to the local server"
  fi

  ensure_redis_server
  ensure_redis_cli

  local started_port=""
  [[ -f "$REDIS_PORTFILE" ]] && started_port="$(tr -dc '0-9' <"$REDIS_PORTFILE")"
  if redis_pid >/dev/null && [[ -n "$started_port" && "$started_port" != "$REDIS_PORT" ]]; then
    die "this checkout's Redis already runs on port $started_port, not $REDIS_PORT (HOLDFAST_REDIS_PORT).
  Stop it first (bash scripts/services.sh down) or use the old port."
  fi
  if our_redis_running; then
    log "redis: already up (port $REDIS_PORT, data $REDIS_DIR)"
    record_started redis
    echo "$LOCAL_REDIS_URL"
    return 0
  fi
  if local_redis_answers; then
    log "redis: port $REDIS_PORT is served by a server this script did not start; using it as is"
    echo "$LOCAL_REDIS_URL"
    return 0
  fi

  mkdir -p "$REDIS_DIR"
  rm -f "$REDIS_PIDFILE"
  echo "$REDIS_PORT" >"$REDIS_PORTFILE"
  log "redis: starting on $REDIS_HOST:$REDIS_PORT (data $REDIS_DIR, log $REDIS_LOGFILE)"
  redis-server \
    --port "$REDIS_PORT" --bind "$REDIS_HOST" \
    --dir "$REDIS_DIR" \
    --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOGFILE" \
    --maxmemory-policy noeviction \
    --appendonly yes --appendfsync everysec \
    --save '' >&2 9>&-

  local i
  for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
    if local_redis_answers; then
      record_started redis
      log "redis: up"
      echo "$LOCAL_REDIS_URL"
      return 0
    fi
    sleep 0.25
  done
  log "redis: no PONG from $REDIS_HOST:$REDIS_PORT after ${WAIT_SECONDS}s; last lines of $REDIS_LOGFILE:"
  tail -n 30 "$REDIS_LOGFILE" >&2 2>/dev/null || true
  exit 1
}

redis_down() {
  if ! is_recorded redis; then
    log "redis: not started by this script; leaving it alone"
    return 0
  fi
  local pid=""
  pid="$(redis_pid || true)"
  if [[ -z "$pid" ]]; then
    log "redis: already stopped"
    unrecord_started redis
    return 0
  fi
  local port="$REDIS_PORT"
  [[ -f "$REDIS_PORTFILE" ]] && port="$(tr -dc '0-9' <"$REDIS_PORTFILE")"
  log "redis: stopping (pid $pid, port $port)"
  timeout 10 redis-cli -h "$REDIS_HOST" -p "$port" shutdown nosave >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "redis: still running after ${WAIT_SECONDS}s; sending SIGTERM"
    kill "$pid" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$REDIS_PIDFILE" "$REDIS_PORTFILE"
  unrecord_started redis
}

redis_status() {
  if [[ -n "${REDIS_URL:-}" ]] && redis_url_answers "$REDIS_URL"; then
    log "redis: up (REDIS_URL from environment: $REDIS_URL)"
    return 0
  fi
  [[ -n "${REDIS_URL:-}" ]] && log "redis: REDIS_URL from environment does not answer ($REDIS_URL)"
  if local_redis_answers; then
    if redis_pid >/dev/null; then
      log "redis: up (local, $LOCAL_REDIS_URL, data $REDIS_DIR)"
    else
      log "redis: up ($LOCAL_REDIS_URL, not started by this script)"
    fi
    return 0
  fi
  log "redis: down (local would be $LOCAL_REDIS_URL, data $REDIS_DIR)"
  return 1
}

# ----------------------------------------------------------------------- main

cmd_up() {
  take_lock
  local db_url redis_url
  db_url="$(pg_up)"
  redis_url="$(redis_up)"
  echo "DATABASE_URL=$db_url"
  echo "REDIS_URL=$redis_url"
}

cmd_down() {
  if [[ ! -d "$DATA_DIR" ]]; then
    log "nothing to stop (no $DATA_DIR)"
    return 0
  fi
  take_lock
  local rc=0
  redis_down || rc=1
  pg_down || rc=1
  return $rc
}

cmd_status() {
  local rc=0
  pg_status || rc=1
  redis_status || rc=1
  return $rc
}

cmd_env() {
  echo "DATABASE_URL=${DATABASE_URL:-$LOCAL_DATABASE_URL}"
  echo "REDIS_URL=${REDIS_URL:-$LOCAL_REDIS_URL}"
}

[[ $# -eq 1 ]] || usage
case "$1" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage ;;
esac
