#!/usr/bin/env bash
# Make sure a Chromium for the browser tests (test/browser) is installed:
# Debian's `chromium` package, driven by playwright-core through its
# executablePath (Playwright's own browser downloads are not available here).
# Prints CHROMIUM_PATH=<path>. Installs with apt-get when missing and root.
set -euo pipefail

find_chromium() {
  if [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]]; then echo "$CHROMIUM_PATH"; return 0; fi
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

if path="$(find_chromium)"; then
  echo "CHROMIUM_PATH=$path"
  exit 0
fi

if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[browser] chromium is missing; install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
echo "[browser] installing chromium (apt-get)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || true
apt-get install -y -qq chromium >&2
path="$(find_chromium)"
echo "CHROMIUM_PATH=$path"
