#!/usr/bin/env bash
# Runs the monitoring HTTP server tests: a real mprelayd with [http], real peers, mprelayctl to
# compare with, a real Prometheus scraping it and headless Chromium loading the status page.
#
#   Tests/http/run.sh [extra pytest arguments]
#
# Needs built binaries (`swift build --build-tests`, or MPRELAYD and MPRELAYCTL naming others);
# prometheus and chromium come from `make deps`. Under CI=true a missing one fails its test.
# The status page screenshot is left in $MPRELAY_ARTIFACTS (default .build/test-artifacts).

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

for variable in MPRELAYD MPRELAYCTL; do
    name="$(echo "$variable" | tr '[:upper:]' '[:lower:]')"
    binary="${!variable:-$repo/.build/debug/$name}"
    if [ ! -x "$binary" ]; then
        echo "http tests: no $name at $binary: run 'swift build --build-tests' or set $variable" >&2
        exit 2
    fi
done

if ! "$python" -c 'import pytest' >/dev/null 2>&1; then
    echo "http tests: installing pytest for $python"
    "$python" -m pip install -q pytest || exit 2
fi

exec "$python" -m pytest -q -p no:cacheprovider "$here" "$@"
