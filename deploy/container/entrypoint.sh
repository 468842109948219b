#!/bin/sh
# Container entrypoint for the Vigil image (deploy/Containerfile). First argument picks the program:
#   sentinel [options]   vigil-sentinel "$VIGIL_SENTINEL_CONF" [options]   (default)
#   proxy [options]      vigil proxy [options]
#   anything else        run as given (vigil status ..., sh)
# VIGIL_SENTINEL_CONF   sentinel.conf (default /etc/vigil/sentinel.conf; may be a read-only ConfigMap when it names
#                       `sentinel state-config-file` on a writable volume, see docs/config.md)
# VIGIL_ANNOUNCE_HOSTNAME  announced address of this sentinel (e.g. the pod's stable DNS name); passed as
#                       --sentinel announce-ip, so one ConfigMap serves every pod
set -eu
cmd="${1:-sentinel}"
[ "$#" -gt 0 ] && shift
case "$cmd" in
  sentinel)
    case "${1:-}" in
      -v | --version | -h | --help) exec vigil-sentinel "$1" ;;
    esac
    conf="${VIGIL_SENTINEL_CONF:-/etc/vigil/sentinel.conf}"
    if [ -n "${VIGIL_ANNOUNCE_HOSTNAME:-}" ]; then
      exec vigil-sentinel "$conf" --sentinel announce-ip "$VIGIL_ANNOUNCE_HOSTNAME" "$@"
    fi
    exec vigil-sentinel "$conf" "$@"
    ;;
  proxy) exec vigil proxy "$@" ;;
  *) exec "$cmd" "$@" ;;
esac
