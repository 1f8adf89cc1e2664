#!/usr/bin/env bash
# End-to-end browser test: builds the web UI and kefu, starts `kefu demo` on a free port over a
# fresh SQLite file, and drives the agent workspace and the shopper widget in headless Debian
# Chromium with Playwright (web/e2e/). Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing Debian's chromium (browsers cannot be downloaded by Playwright here)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d web/node_modules ] || [ -n "${CI:-}" ]; then
  npm --prefix web ci --no-audit --no-fund
fi
npm --prefix web run build
# rust-embed decides at compile time whether web/dist exists: a binary compiled before the UI
# was built (by the lint or unit steps of a fresh clone) would serve no UI, and cargo does not
# see the new files. Touching the embedding module makes cargo rebuild kefu-server with them.
touch crates/kefu-server/src/routes/web.rs
cargo build -p kefu-cli

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  status=$?
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT

KEFU__SERVER__PORT=0 \
KEFU__DATABASE__URL="sqlite://$tmp/kefu.db?mode=rwc" \
KEFU__AUTH__KEY_FILE="$tmp/kefu.key" \
  target/debug/kefu demo --info-file "$tmp/demo.json" >"$tmp/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 300); do
  [ -s "$tmp/demo.json" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "e2e: kefu demo exited early:"; cat "$tmp/server.log"; exit 1
  fi
  sleep 0.2
done
[ -s "$tmp/demo.json" ] || { echo "e2e: kefu demo did not start in 60 s"; cat "$tmp/server.log"; exit 1; }

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$tmp/demo.json" "$1"; }
export KEFU_E2E_URL; KEFU_E2E_URL=$(field base_url)
export KEFU_E2E_WIDGET_PATH; KEFU_E2E_WIDGET_PATH=$(field widget_path)
export KEFU_E2E_USERNAME=xiaomei
export KEFU_E2E_PASSWORD; KEFU_E2E_PASSWORD=$(field password)
echo "e2e: kefu demo at $KEFU_E2E_URL"
(cd web && npx playwright test)
