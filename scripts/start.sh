#!/usr/bin/env bash
# `npm start`, the main job: builds and packages the extension, then opens it in a real VS Code with
# the embedded broker and the device simulator running. The desktop `code` when it is on PATH;
# otherwise the VS Code server (from npm) in your browser, at the address it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
node esbuild.mjs --tests
npm run -s package
if ! command -v code >/dev/null 2>&1 || [ -n "${MQTT_EXPLORER_USE_SERVER:-}" ]; then
  TEST_HOST_DIR=$(bash scripts/install-test-host.sh | tail -n 1)
  export TEST_HOST_DIR
fi
exec node out/tools/workbench/openWorkbench.js "$@"
