#!/usr/bin/env bash
# Runs the mprelayd integration tests under every CPython 3.8-3.13 that pyenv knows, plus the
# default python3 if it is another interpreter.
#
#   Tests/integration/run-all-pythons.sh [extra pytest arguments]
#
# Needs a built daemon (`swift build`, or MPRELAYD=/path/to/mprelayd). Installs pytest for an
# interpreter that lacks it. Fails if the default python3 or any CPython >= 3.12 is missing
# (the sha256 handshake must be exercised by a real client), or if any interpreter's run fails.

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo" || exit 2

die() {
    echo "run-all-pythons: ERROR: $*" >&2
    exit 2
}

binary="${MPRELAYD:-$repo/.build/debug/mprelayd}"
[ -x "$binary" ] || die "no mprelayd binary at $binary: run 'swift build' first or set MPRELAYD"

command -v python3 >/dev/null 2>&1 || die "the default python3 is missing from PATH"
default_python="$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null)" \
    || die "the default python3 does not run"

command -v pyenv >/dev/null 2>&1 || die "pyenv is missing: it provides the CPython 3.8-3.13 interpreters"
pyenv_root="$(pyenv root)" || die "'pyenv root' failed"

interpreters=()
labels=()
have_modern=0
while read -r version; do
    [[ "$version" =~ ^3\.(8|9|10|11|12|13)\.[0-9]+$ ]] || continue
    minor="${version%.*}"
    python="$pyenv_root/versions/$version/bin/python$minor"
    if [ ! -x "$python" ]; then
        echo "run-all-pythons: warning: pyenv lists $version but $python is missing" >&2
        continue
    fi
    interpreters+=("$python")
    labels+=("CPython $version")
    case "$minor" in 3.12 | 3.13) have_modern=1 ;; esac
done < <(pyenv versions --bare 2>/dev/null)

[ "$have_modern" = 1 ] || die "no CPython >= 3.12 found by 'pyenv versions --bare': the sha256 handshake would go untested"

seen_default=0
for python in "${interpreters[@]}"; do
    [ "$(realpath "$python")" = "$default_python" ] && seen_default=1
done
if [ "$seen_default" = 0 ]; then
    interpreters+=("$default_python")
    labels+=("default python3 ($default_python)")
fi

results=()
failed=0
for i in "${!interpreters[@]}"; do
    python="${interpreters[$i]}"
    label="${labels[$i]}"
    echo
    echo "=== $label: $python"
    if ! "$python" -c 'import pytest' >/dev/null 2>&1; then
        echo "--- installing pytest for $label"
        if ! "$python" -m pip install -q pytest; then
            results+=("FAILED   $label: could not install pytest")
            failed=1
            continue
        fi
    fi
    start=$(date +%s)
    "$python" -m pytest -q -p no:cacheprovider "$here" "$@"
    code=$?
    took=$(($(date +%s) - start))
    if [ "$code" = 0 ]; then
        results+=("ok       $label (${took} s)")
    else
        results+=("FAILED   $label: pytest exit $code (${took} s)")
        failed=1
    fi
done

echo
echo "=== summary"
printf '%s\n' "${results[@]}"
if [ "$failed" != 0 ]; then
    echo "run-all-pythons: FAILED on at least one interpreter" >&2
    exit 1
fi
echo "run-all-pythons: all ${#interpreters[@]} interpreters passed"
