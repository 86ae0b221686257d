#!/usr/bin/env bash
# Install dependencies when node_modules is missing or older than the lock
# file, so `npm start` and `npm test` work on a fresh clone with nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
marker=node_modules/.package-lock.json
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ]; then
  echo "[deps] installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund >&2
fi
