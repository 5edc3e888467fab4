#!/usr/bin/env bash
# Tears down a control plane started by up.sh:  tools/cluster/down.sh STATE_FILE
#
# Sends SIGTERM to the supervisor (which stops the components and removes the working dir), waits up
# to 20 s, then SIGKILLs whatever is left of the supervisor and of the components' process group, and
# removes the working dir. Only processes whose command line names zen-lead-cluster are signalled.
# Idempotent: a missing state file or already-stopped cluster is not an error.
set -uo pipefail
state="${1:-}"
[ -n "$state" ] || { echo "usage: $0 STATE_FILE" >&2; exit 2; }
[ -f "$state" ] || { echo "[cluster] down: no state file $state (already down?)" >&2; exit 0; }

field() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$state" | head -n1; }
sup="$(field supervisorPid)"
pgid="$(field pgid)"
dir="$(field dir)"
keep="$(field keepDir)"
# Component pids: the lines inside the "pids" object.
pids="$(sed -n '/^  "pids": {/,/^  }/s/^    "[^"]*": \([0-9]*\),\{0,1\}$/\1/p' "$state")"

ours() { [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q zen-lead-cluster; }

# Members of our components' process group (pgid is field 5 of /proc/PID/stat, after "(comm)").
group_members() {
  local f rest pg p
  [ -n "$pgid" ] || return 0
  for f in /proc/[0-9]*/stat; do
    rest="$(cat "$f" 2>/dev/null)" || continue
    rest="${rest##*) }"
    pg="$(echo "$rest" | cut -d' ' -f3)"
    if [ "$pg" = "$pgid" ]; then p="${f#/proc/}"; p="${p%/stat}"; ours "$p" && echo "$p"; fi
  done
}

if ours "$sup"; then
  kill -TERM "$sup" 2>/dev/null
  for _ in $(seq 1 200); do ours "$sup" || break; sleep 0.1; done
fi
left="$( { ours "$sup" && echo "$sup"; for p in $pids; do ours "$p" && echo "$p"; done; group_members; } | sort -u)"
if [ -n "$left" ]; then
  echo "[cluster] down: killing leftover processes: $(echo $left)" >&2
  kill -KILL $left 2>/dev/null
  for _ in $(seq 1 50); do
    still=""; for p in $left; do ours "$p" && still=1; done
    [ -z "$still" ] && break; sleep 0.1
  done
fi
if [ "$keep" = "true" ] || [ "${ZEN_LEAD_CLUSTER_KEEP_DIR:-}" = "1" ]; then
  echo "[cluster] down: keeping $dir" >&2
  dir=""
fi
case "$dir" in
  /*zen-lead-cluster*|/tmp/*) [ -d "$dir" ] && rm -rf "$dir" ;;
  *) [ -n "$dir" ] && [ -d "$dir" ] && echo "[cluster] down: not removing unexpected dir '$dir'" >&2 ;;
esac
if [ -n "$dir" ] && [ -f "$state" ]; then rm -f "$state"; fi
echo "[cluster] down: stopped" >&2
exit 0
