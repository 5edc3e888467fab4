#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium, for the simulator report's browser test
# (packages/sim/src/report/html.browser.test.ts drives it with playwright-core; Playwright's own
# browser downloads are never used). Idempotent and silent when Chromium is already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "zen-lead: $CHROMIUM is missing; install Debian's chromium as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core" >&2
  exit 1
fi

echo "[setup] installing Debian's chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2

if [ ! -x "$CHROMIUM" ]; then
  echo "zen-lead: apt-get installed chromium but $CHROMIUM is still missing" >&2
  exit 1
fi
