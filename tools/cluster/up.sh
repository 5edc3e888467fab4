#!/usr/bin/env bash
# Brings a real, loopback-only Kubernetes control plane up (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok + fake nodes), building it first if needed.
#
#   tools/cluster/up.sh [--foreground] [--nodes N] [--manual-nodes N] [--watch-pid PID]
#                       [--dir DIR] [--state-file PATH] [--timeout 180s] [--controllers LIST] [--keep-dir]
#
# stdout: exactly one line, the absolute path of the state JSON (see docs/control-plane.md);
# progress and errors go to stderr. Exit 0 when the cluster is ready, non-zero otherwise (nothing
# is left running then). Tear down with: tools/cluster/down.sh STATE
# With --foreground it stays attached until Ctrl-C/SIGTERM and tears down itself.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$("$here/build.sh" | tail -n1)"
exec "$bin/zen-lead-cluster" up "$@"
