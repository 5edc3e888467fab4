#!/usr/bin/env bash
# Builds the zen-lead-cluster multi-call binary (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok + the up/supervise orchestration) into a cache dir keyed by a hash of the pin.
#
#   tools/cluster/build.sh            -> stdout: the bin dir (one line); progress on stderr
#
# Env:
#   ZEN_LEAD_CACHE        cache root (default $HOME/.cache/zen-lead); binaries go to
#                         $ZEN_LEAD_CACHE/cluster/<pin-hash>/bin
#   ZEN_LEAD_CLUSTER_BIN  if set, use this existing bin dir instead of building (prints it back)
#   ZEN_LEAD_BUILD_P      go build -p (default: 2, or 1 when less than 6 GiB of memory is available)
# Skips the build when the bin dir for the current pin already exists. Safe to run concurrently
# (flock). Exit 1 with a one-line "[cluster] build failed: ..." reason on stderr on failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() { echo "[cluster] build failed: $*" >&2; exit 1; }

if [ -n "${ZEN_LEAD_CLUSTER_BIN:-}" ]; then
  [ -x "$ZEN_LEAD_CLUSTER_BIN/zen-lead-cluster" ] || fail "ZEN_LEAD_CLUSTER_BIN=$ZEN_LEAD_CLUSTER_BIN has no zen-lead-cluster"
  echo "$ZEN_LEAD_CLUSTER_BIN"
  exit 0
fi

command -v go >/dev/null 2>&1 || PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || fail "go not found (expected on PATH or in /usr/local/go/bin)"
command -v flock >/dev/null 2>&1 || fail "flock not found (Debian package util-linux)"

# shellcheck disable=SC1091
source "$here/versions.env"
gover="$(go env GOVERSION)"

# The pin hash covers everything that affects the binary.
pin="$(
  cd "$here"
  {
    echo "$gover"
    sha256sum go.mod go.sum build.sh versions.env ./*.go kwok-stages/*.yaml
  } | sha256sum | cut -c1-16
)"
cache_root="${ZEN_LEAD_CACHE:-${HOME:-/root}/.cache/zen-lead}/cluster"
out="$cache_root/$pin"
bin="$out/bin"

if [ -x "$bin/zen-lead-cluster" ]; then
  echo "[cluster] using cached build $bin (kubernetes $K8S_VERSION)" >&2
  echo "$bin"
  exit 0
fi

mkdir -p "$cache_root" || fail "cannot create $cache_root"
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  echo "[cluster] another build is running; waiting for it" >&2
  flock 9
fi
if [ -x "$bin/zen-lead-cluster" ]; then
  echo "[cluster] using cached build $bin (kubernetes $K8S_VERSION)" >&2
  echo "$bin"
  exit 0
fi

# Go toolchain must satisfy go.mod's go directive.
need="$(awk '$1 == "go" {print $2; exit}' "$here/go.mod")"
have="${gover#go}"
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  fail "go $have is older than go $need required by tools/cluster/go.mod (install a newer Go or export GOTOOLCHAIN=go$need)"
fi

p="${ZEN_LEAD_BUILD_P:-}"
if [ -z "$p" ]; then
  avail_kb="$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)"
  if [ "${avail_kb:-0}" -lt $((6 * 1024 * 1024)) ]; then p=1; else p=2; fi
fi

major="${K8S_VERSION#v}"; major="${major%%.*}"
minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

tmp="$out/bin.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
log="$out/build.log"
cold=""
[ -d "$(go env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION" ] || cold=" (downloading modules first)"
echo "[cluster] building kube components for kubernetes $K8S_VERSION$cold (cold build ~15 min on 2 cores, warm ~1 min); log: $log" >&2
start=$(date +%s)
(
  cd "$here"
  export GOFLAGS="-mod=readonly -buildvcs=false"
  # Progress heartbeat so callers see the build is alive.
  ( while sleep 60; do echo "[cluster] still building… $(( $(date +%s) - start ))s" >&2; done ) &
  hb=$!
  trap 'kill $hb 2>/dev/null || true' EXIT
  go build -p "$p" -trimpath -ldflags "$ldflags" -o "$tmp/zen-lead-cluster" . >"$log" 2>&1
) || {
  reason="$(grep -v '^#' "$log" | grep -m1 -E 'error|cannot|killed|signal|verifying|missing' || tail -n1 "$log")"
  rm -rf "$tmp"
  fail "go build exited non-zero: ${reason:-see log} (full log: $log)"
}
for c in etcd kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl kwok; do
  ln -sf zen-lead-cluster "$tmp/$c"
done
got="$("$tmp/zen-lead-cluster" version)" || fail "built binary does not run (see $log)"
[ "$got" = "$K8S_VERSION" ] || fail "built binary reports version $got, expected $K8S_VERSION"
rm -rf "$bin"
mv "$tmp" "$bin"
echo "[cluster] built $bin in $(( $(date +%s) - start ))s ($(du -h "$bin/zen-lead-cluster" | cut -f1))" >&2
# Builds of other pins (~160 MB each) made over a day ago go: the cache stays bounded as pins move.
# (Under the build lock; a running cluster keeps its unlinked binary until it stops.)
find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "$pin" -mtime +1 -print -exec rm -rf {} + 2>/dev/null |
  sed 's/^/[cluster] pruned an old build: /' >&2 || true
echo "$bin"
