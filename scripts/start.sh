#!/usr/bin/env bash
# `npm start`: Holdfast on one machine, from a fresh clone.
#
#   1. dependencies (npm ci when node_modules is missing or stale)
#   2. PostgreSQL + Redis (scripts/services.sh up: uses DATABASE_URL/REDIS_URL
#      when they answer, else starts project-local servers)
#   3. build (tsc → dist/; compiled JS starts faster and uses less memory than tsx;
#      vite → dist/web, the dashboard the API serves at / and /admin)
#   4. migrate + seed the demo user (demo@holdfast.local, 1000 credits, once)
#   5. API + worker + scheduler in one process; once it answers, print the URL,
#      a one-click dashboard sign-in link, the demo key and curl lines to
#      submit a job and read it back.
#
# Settings: the environment, then .env (variables already set win). PORT
# (default 3000), ADMIN_API_KEY, and everything in .env.example.
# Ctrl-C (SIGINT) or SIGTERM stops gracefully: running jobs get
# SHUTDOWN_TIMEOUT_MS to finish; a second Ctrl-C exits at once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[start] %s\n' "$*" >&2; }

if [[ -f scripts/ensure-deps.sh ]]; then bash scripts/ensure-deps.sh; fi

# .env: plain KEY=VALUE lines, exported as-is (never evaluated by the shell).
if [[ -f .env ]]; then
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    key="${line%%=*}"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [[ -n "${!key+x}" ]] && continue
    value="${line#*=}"
    [[ -z "$value" ]] && continue
    export "$key=$value"
  done <.env
fi

services_out="$(bash scripts/services.sh up)"
while IFS= read -r line; do
  case "$line" in
    DATABASE_URL=* | REDIS_URL=*) export "$line" ;;
  esac
done <<<"$services_out"

say "building (tsc -p tsconfig.build.json; the dashboard with vite)…"
node_modules/.bin/tsc -p tsconfig.build.json
node_modules/.bin/vite build --config web/vite.config.mts --logLevel warn

seed_out="$(node dist/scripts/seed-demo.js)"
DEMO_API_KEY="$(sed -n 's/^DEMO_API_KEY=//p' <<<"$seed_out")"
DEMO_SIGN_IN_TOKEN="$(sed -n 's/^DEMO_SIGN_IN_TOKEN=//p' <<<"$seed_out")"

PORT="${PORT:-3000}"
export PORT
BASE_URL="${PUBLIC_URL:-http://localhost:$PORT}"
BASE_URL="${BASE_URL%/}"
MAIN_PID=$$ # after `exec` below, this is the Holdfast process itself

answers() {
  if command -v curl >/dev/null 2>&1; then
    # /readyz, not /healthz: the API listens before PostgreSQL and Redis answer, and until then
    # every route but /healthz is a 503, so the curl lines below would fail if printed earlier.
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
  fi
}

banner() {
  local submit="curl -s -X POST $BASE_URL/api/v1/jobs -H 'Authorization: Bearer $DEMO_API_KEY' -H 'Content-Type: application/json' -d '{\"kind\":\"script\",\"input\":{\"script\":\"wordcount\",\"parameters\":{\"text\":\"hello holdfast\"}}}'"
  cat <<EOF

  Holdfast is running at $BASE_URL   (API, worker and scheduler; Ctrl-C stops)

  Dashboard:  $BASE_URL/#sign-in=$DEMO_SIGN_IN_TOKEN
              (signs you in as the demo user; the link works once, for 15 minutes —
               afterwards sign in at $BASE_URL/ with the API key below)

  Demo user:  demo@holdfast.local   API key: $DEMO_API_KEY

  Submit a job:
    JOB_ID=\$($submit | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).id'); echo \$JOB_ID

  Read it back:
    curl -s $BASE_URL/api/v1/jobs/\$JOB_ID -H 'Authorization: Bearer $DEMO_API_KEY'

  Balance:
    curl -s $BASE_URL/api/v1/credits/balance -H 'Authorization: Bearer $DEMO_API_KEY'

  For the README's examples and the CLI (npx holdfast balance), in another shell:
    export KEY=$DEMO_API_KEY HOLDFAST_URL=$BASE_URL HOLDFAST_API_KEY=$DEMO_API_KEY

EOF
}

# The banner waits in the background for the server; the server itself runs
# in the foreground (exec), so Ctrl-C reaches it directly, once.
(
  for _ in $(seq 1 240); do
    kill -0 "$MAIN_PID" 2>/dev/null || exit 0
    if answers; then
      banner
      exit 0
    fi
    sleep 0.25
  done
  say "the API did not answer on port $PORT within 60 s; see the log above"
) &

exec node dist/src/processes/all.js
