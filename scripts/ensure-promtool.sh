#!/usr/bin/env bash
# Makes sure Debian's promtool is there, for the shipped alert rules' test (packages/cli/src/
# alerts.int.test.ts evaluates deploy/helm's PrometheusRule and the dashboard's queries with
# `promtool test rules`). Debian ships it in the prometheus package; its service is not started.
# Idempotent and silent when promtool is already there.
exec "$(dirname "$0")/ensure-apt.sh" "the alert rules' test (promtool)" /usr/bin/promtool -- prometheus
