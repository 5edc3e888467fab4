#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium, for the simulator report's browser test
# (packages/sim/src/report/html.browser.test.ts drives it with playwright-core; Playwright's own
# browser downloads are never used). Idempotent and silent when Chromium is already there.
exec "$(dirname "$0")/ensure-apt.sh" "the HTML report's browser test" /usr/bin/chromium -- chromium fonts-dejavu-core
