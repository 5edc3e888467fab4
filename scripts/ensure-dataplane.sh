#!/usr/bin/env bash
# Makes sure the data-plane harness's tools are installed (packages/dataplane: network namespaces,
# a bridge, kube-proxy in nftables and iptables mode): unshare/nsenter/setpriv (util-linux), ip
# (iproute2), nft (nftables), iptables-restore/ip6tables-restore (iptables). As root, installs what
# is missing from Debian's apt, the way scripts/ensure-chromium.sh installs Chromium; otherwise says
# what to install and exits 1. Idempotent and silent when everything is there.
set -euo pipefail

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
declare -A package_of=(
  [unshare]=util-linux [nsenter]=util-linux [setpriv]=util-linux [ip]=iproute2
  [nft]=nftables [iptables-restore]=iptables [ip6tables-restore]=iptables
)
missing=()
for command in "${!package_of[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${package_of[$command]}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
packages="$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"

if [ "$(id -u)" -ne 0 ]; then
  echo "zen-lead: the data-plane harness needs: $packages; install them as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends $packages" >&2
  exit 1
fi

echo "[setup] installing the data-plane harness's tools: $packages(apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >&2
