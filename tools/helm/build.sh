#!/usr/bin/env bash
# Builds helm from its Go module into a cache dir (Debian has no helm package).
#
#   tools/helm/build.sh      -> stdout: the helm binary path (last line); progress on stderr
#
# Env:
#   ZEN_LEAD_CACHE   cache root (default $HOME/.cache/zen-lead); helm goes to $ZEN_LEAD_CACHE/helm-<version>/helm
#   ZEN_LEAD_HELM    if set, use this existing helm binary instead of building (prints it back)
#   HELM_VERSION     module version to build (default v3.22.0)
# Skips the build when the binary is cached. Safe to run concurrently (flock).
# Exit 1 with a one-line "[helm] build failed: ..." reason on stderr on failure.
set -euo pipefail

fail() { echo "[helm] build failed: $*" >&2; exit 1; }

version="${HELM_VERSION:-v3.22.0}"

if [ -n "${ZEN_LEAD_HELM:-}" ]; then
  [ -x "$ZEN_LEAD_HELM" ] || fail "ZEN_LEAD_HELM=$ZEN_LEAD_HELM is not an executable"
  echo "$ZEN_LEAD_HELM"
  exit 0
fi

cache_root="${ZEN_LEAD_CACHE:-${HOME:-/root}/.cache/zen-lead}"
dir="$cache_root/helm-$version"
bin="$dir/helm"

if [ -x "$bin" ]; then
  echo "[helm] using cached $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || fail "go not found (expected on PATH or in /usr/local/go/bin)"
command -v flock >/dev/null 2>&1 || fail "flock not found (Debian package util-linux)"

mkdir -p "$cache_root" || fail "cannot create $cache_root"
exec 9>"$cache_root/.helm-build.lock"
if ! flock -n 9; then
  echo "[helm] another build is running; waiting for it" >&2
  flock 9
fi
if [ -x "$bin" ]; then
  echo "[helm] using cached $bin" >&2
  echo "$bin"
  exit 0
fi

echo "[helm] building helm $version from helm.sh/helm/v3 (first time only; takes a few minutes)" >&2
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
# Build outside any module so the repo's go.mod files don't interfere.
if ! (cd "$tmp" && GO111MODULE=on CGO_ENABLED=0 GOBIN="$tmp" \
  go install "helm.sh/helm/v3/cmd/helm@$version" >&2); then
  rm -rf "$tmp"
  fail "go install helm.sh/helm/v3/cmd/helm@$version failed (see above)"
fi
[ -x "$tmp/helm" ] || { rm -rf "$tmp"; fail "go install produced no helm binary"; }
rm -rf "$dir"
mv "$tmp" "$dir"
echo "[helm] built $bin" >&2
echo "$bin"
