#!/usr/bin/env bash
# Runs the conformance suite for docs/PROTOCOL.md under the newest CPython 3 that pyenv lists.
#
#   Tests/conformance/run.sh [extra pytest arguments]
#
# Needs a built daemon (`swift build`, or MPRELAYD=/path/to/mprelayd). Installs pytest for the
# interpreter when it lacks it. Fails if pyenv or a CPython 3 under it is missing.

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

die() {
    echo "conformance: ERROR: $*" >&2
    exit 2
}

binary="${MPRELAYD:-$repo/.build/debug/mprelayd}"
[ -x "$binary" ] || die "no mprelayd binary at $binary: run 'swift build' first or set MPRELAYD"

# shellcheck source=../fixtures/newest-python.sh
. "$repo/Tests/fixtures/newest-python.sh"
newest_python conformance

echo "conformance: CPython $version ($python)"
cd "$repo" || exit 2
exec "$python" -m pytest -q -p no:cacheprovider "$here" "$@"
