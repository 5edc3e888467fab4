#!/usr/bin/env bash
# Makes sure some files from Debian packages are there, installing the packages (as root, with
# apt-get) the first time. Idempotent and silent when every file is already there.
#
#   scripts/ensure-apt.sh "WHAT FOR" FILE... -- PACKAGE...
set -euo pipefail

what="$1"
shift
files=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do files+=("$1"); shift; done
shift
packages=("$@")

missing=()
for file in "${files[@]}"; do [ -e "$file" ] || missing+=("$file"); done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "zen-lead: ${missing[*]} missing ($what); install Debian's packages as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${packages[*]}" >&2
  exit 1
fi

echo "[setup] installing Debian's ${packages[*]} for $what (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2

for file in "${files[@]}"; do
  [ -e "$file" ] || { echo "zen-lead: apt-get installed ${packages[*]} but $file is still missing" >&2; exit 1; }
done
