#!/bin/sh
# Proves mprelay.service under a real systemd booted in private namespaces (see
# mprelay_systemd_test.py). Needs root, unshare and nsenter: without them it prints SKIP and
# exits 0, except under CI=true, where a check that cannot run is a failure (exit 1); anything
# else that goes wrong is a failure.
#
#   Tests/systemd/run.sh            (make test-systemd)
#
# MPRELAYD_BIN and MPRELAY_TEST_BUNDLE choose the binaries (default: the debug build).
here=$(cd "$(dirname "$0")" && pwd)

# Says why the checks cannot run: a skip, or under CI=true a failure.
cannot_run() {
    if [ "${CI:-}" = true ]; then
        echo "FAIL Tests/systemd: $1 (CI=true: a check that cannot run is a failure)"
        exit 1
    fi
    echo "SKIP Tests/systemd: $1"
    exit 0
}

[ "$(id -u)" = 0 ] || cannot_run "needs root to boot systemd in private namespaces (run: sudo $0)"
for tool in unshare nsenter; do
    command -v "$tool" >/dev/null 2>&1 || cannot_run "$tool is missing (Debian package util-linux)"
done
exec timeout --signal=TERM --kill-after=30 300 /usr/bin/python3 "$here/mprelay_systemd_test.py" "$@"
