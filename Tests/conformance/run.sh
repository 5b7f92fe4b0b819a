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

command -v pyenv >/dev/null 2>&1 || die "pyenv is missing: it provides the CPython the suite runs under"
pyenv_root="$(pyenv root)" || die "'pyenv root' failed"
version="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1)"
[ -n "$version" ] || die "'pyenv versions --bare' lists no CPython 3.x.y"
python="$pyenv_root/versions/$version/bin/python${version%.*}"
[ -x "$python" ] || die "pyenv lists $version but $python is missing"

if ! "$python" -c 'import pytest' >/dev/null 2>&1; then
    echo "conformance: installing pytest for CPython $version"
    "$python" -m pip install -q pytest || die "could not install pytest for $python"
fi

echo "conformance: CPython $version ($python)"
cd "$repo" || exit 2
exec "$python" -m pytest -q -p no:cacheprovider "$here" "$@"
