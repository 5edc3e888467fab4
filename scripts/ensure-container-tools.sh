#!/usr/bin/env bash
# Makes sure Debian's buildah and runc are there, for the image's test (deploy/image.sh builds the
# image with buildah; packages/release/src/image.int.test.ts runs it with runc). Idempotent and
# silent when both are already there.
exec "$(dirname "$0")/ensure-apt.sh" "building and running the image" /usr/bin/buildah /usr/sbin/runc -- buildah runc
