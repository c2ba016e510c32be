#!/usr/bin/env bash
# `npm test`: installs what is missing (npm packages, the test host), checks types, lints, packages
# the .vsix, then runs the three layers (unit, extension host, UI) and prints one summary.
# TEST_LAYERS=unit,extension,ui picks layers.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/ensure-deps.sh
TEST_HOST_DIR=$(bash scripts/install-test-host.sh | tail -n 1)
export TEST_HOST_DIR

echo "=== types and lint ==="
npm run -s check-types
npm run -s lint

echo "=== build ==="
node esbuild.mjs --tests
# Layers 2 and 3 install this .vsix, so a wrong .vscodeignore or a missing bundle fails them.
package_log=$(mktemp)
npm run -s package > "$package_log" 2>&1 || { cat "$package_log"; exit 1; }
echo "packaged dist-vsix/mqtt-explorer.vsix"

node out/test/harness/runAll.js
