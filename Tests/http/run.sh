#!/usr/bin/env bash
# Runs the monitoring HTTP server tests (Tests/http) under $PYTHON (default python3): a real
# mprelayd with [http], real peers, mprelayctl to compare with, a real Prometheus scraping it and
# headless Chromium loading the status page. The fixtures fail at once if the binaries are not
# built (`swift build --build-tests`, or MPRELAYD and MPRELAYCTL naming others); prometheus and
# chromium come from `make deps`, and under CI=true a missing one fails its test. The status page
# screenshot is left in $MPRELAY_ARTIFACTS (default .build/test-artifacts).
#
#   Tests/http/run.sh [extra pytest arguments]
set -u
python="${PYTHON:-python3}"
"$python" -c 'import pytest' >/dev/null 2>&1 || "$python" -m pip install -q pytest || exit 2
exec "$python" -m pytest -q -p no:cacheprovider "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" "$@"
