#!/usr/bin/env bash
# Runs the cluster suite (docs/CLUSTER.md): three nats-servers with JetStream and three mprelayd
# nodes on 127.0.0.1, real clients, under the newest CPython 3 that pyenv lists.
#
#   Tests/cluster/run.sh [extra pytest arguments]
#
# Needs built binaries (`swift build --build-tests`, or MPRELAYD and MPRELAYCTL naming others) and
# nats-server (`make deps`, or NATS_SERVER naming one). Installs pytest for the interpreter when
# it lacks it. Fails if pyenv, a CPython 3 under it or nats-server is missing.

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

die() {
    echo "cluster tests: ERROR: $*" >&2
    exit 2
}

binary="${MPRELAYD:-$repo/.build/debug/mprelayd}"
[ -x "$binary" ] || die "no mprelayd binary at $binary: run 'swift build --build-tests' first or set MPRELAYD"
nats="${NATS_SERVER:-$(command -v nats-server || true)}"
[ -n "$nats" ] && [ -x "$nats" ] || die "nats-server is missing: 'make deps' installs it, or set NATS_SERVER"

# shellcheck source=../fixtures/newest-python.sh
. "$repo/Tests/fixtures/newest-python.sh"
newest_python "cluster tests"

echo "cluster tests: CPython $version ($python), $("$nats" --version)"
cd "$repo" || exit 2
PYTHONDONTWRITEBYTECODE=1 exec "$python" -m pytest -q -p no:cacheprovider "$here" "$@"
