#!/bin/sh
# Proves mprelay.service under a real systemd booted in private namespaces (see
# mprelay_systemd_test.py). Needs root, unshare and nsenter: without them it prints SKIP and
# exits 0; anything else that goes wrong is a failure.
#
#   Tests/systemd/run.sh            (make test-systemd)
#
# MPRELAYD_BIN and MPRELAY_TEST_BUNDLE choose the binaries (default: the debug build).
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "SKIP Tests/systemd: needs root to boot systemd in private namespaces (run: sudo $0)"
    exit 0
fi
for tool in unshare nsenter; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP Tests/systemd: $tool is missing (Debian package util-linux)"
        exit 0
    fi
done
exec timeout --signal=TERM --kill-after=30 300 /usr/bin/python3 "$here/mprelay_systemd_test.py" "$@"
