#!/usr/bin/env bash
# Makes sure the data-plane harness's tools are installed (packages/dataplane: network namespaces,
# a bridge, kube-proxy in nftables and iptables mode): unshare/nsenter/setpriv (util-linux), ip
# (iproute2), nft (nftables), iptables-restore/ip6tables-restore (iptables). Idempotent and silent
# when everything is there.
exec "$(dirname "$0")/ensure-apt.sh" "the data-plane tests" \
  /usr/bin/unshare /usr/bin/nsenter /usr/bin/setpriv /usr/bin/ip /usr/sbin/nft \
  /usr/sbin/iptables-restore /usr/sbin/ip6tables-restore \
  -- util-linux iproute2 nftables iptables
