#!/usr/bin/env bash
# Runs the control-socket tests: a real mprelayd and mprelayctl, peers on the stock
# multiprocessing.connection.Client, hostile control clients.
#
#   Tests/control/run.sh [extra pytest arguments]
#
# Needs built binaries (`swift build --build-tests`, or MPRELAYD and MPRELAYCTL naming others) and
# runs under $PYTHON (default python3), installing pytest for it when missing. The permission tests
# run mprelayctl as uid 65534 with setpriv, so they need root; without root they are skipped.

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

for variable in MPRELAYD MPRELAYCTL; do
    name="$(echo "$variable" | tr '[:upper:]' '[:lower:]')"
    binary="${!variable:-$repo/.build/debug/$name}"
    if [ ! -x "$binary" ]; then
        echo "control tests: no $name at $binary: run 'swift build --build-tests' or set $variable" >&2
        exit 2
    fi
done

if ! "$python" -c 'import pytest' >/dev/null 2>&1; then
    echo "control tests: installing pytest for $python"
    "$python" -m pip install -q pytest || exit 2
fi

exec "$python" -m pytest -q -p no:cacheprovider "$here" "$@"
