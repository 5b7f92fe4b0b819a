#!/usr/bin/env bash
# Runs the mprelay Python client's test suite under every CPython 3.8-3.13 that pyenv provides
# (falling back to python3.X on PATH without pyenv), and under the default python3.
#
#   clients/python/run-tests.sh [extra pytest arguments]
#
# pytest is installed with pip for any interpreter that lacks it. The tests run against
# <repo>/.build/debug/mprelayd (or $MPRELAYD); here a missing daemon fails the tests instead of
# skipping them. Then `mypy --strict` checks the package under the newest CPython found (mypy is
# pip-installed there if missing). Fails loudly if python3, CPython 3.12 or CPython 3.13 or mypy
# is missing, and exits non-zero if any interpreter or the type check fails.
set -u

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export MPRELAY_REQUIRE_DAEMON="${MPRELAY_REQUIRE_DAEMON:-1}"
export PYTHONDONTWRITEBYTECODE=1

status=0
loud() { printf '\n*** %s ***\n\n' "$*" >&2; }

daemon="${MPRELAYD:-$repo/.build/debug/mprelayd}"
if [ ! -x "$daemon" ]; then
    loud "no mprelayd at $daemon: build it first (swift build) or set MPRELAYD"
    exit 2
fi

candidates=()

default="$(command -v python3 || true)"
if [ -z "$default" ]; then
    loud "FATAL: the default python3 is missing from PATH"
    status=1
else
    candidates+=("$default")
fi

pyenv_root="$(pyenv root 2>/dev/null || true)"
for minor in 8 9 10 11 12 13; do
    found=""
    if [ -n "$pyenv_root" ] && [ -d "$pyenv_root/versions" ]; then
        # The highest CPython 3.$minor.N pyenv has (not free-threaded or other variants).
        version="$(ls "$pyenv_root/versions" | grep -E "^3\.$minor\.[0-9]+$" | sort -V | tail -n 1)"
        if [ -n "$version" ] && [ -x "$pyenv_root/versions/$version/bin/python3.$minor" ]; then
            found="$pyenv_root/versions/$version/bin/python3.$minor"
        fi
    fi
    if [ -z "$found" ]; then
        found="$(command -v "python3.$minor" || true)"
    fi
    if [ -z "$found" ]; then
        if [ "$minor" -ge 12 ]; then
            loud "FATAL: CPython 3.$minor is missing"
            status=1
        else
            echo "note: CPython 3.$minor not found, not tested" >&2
        fi
        continue
    fi
    candidates+=("$found")
done

# The same interpreter may be reached twice (python3 is usually one of the above).
seen=" "
interpreters=()
for py in "${candidates[@]}"; do
    real="$("$py" -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null)" || {
        loud "FATAL: $py does not run"
        status=1
        continue
    }
    case "$seen" in *" $real "*) continue ;; esac
    seen="$seen$real "
    interpreters+=("$py")
done

results=()
for py in "${interpreters[@]}"; do
    version="$("$py" -c 'import platform; print(platform.python_version())')"
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 8))'; then
        loud "FATAL: $py is Python $version; mprelay needs 3.8 or later"
        results+=("FAIL  $version  $py (too old)")
        status=1
        continue
    fi
    if ! "$py" -c 'import pytest' 2>/dev/null; then
        echo "installing pytest for Python $version ($py)" >&2
        if ! "$py" -m pip install --quiet --disable-pip-version-check pytest; then
            loud "FATAL: cannot install pytest for Python $version ($py)"
            results+=("FAIL  $version  $py (no pytest)")
            status=1
            continue
        fi
    fi
    echo "=== Python $version ($py)"
    start=$SECONDS
    if (cd "$here" && "$py" -m pytest -q -p no:cacheprovider tests "$@"); then
        results+=("ok    $version  $py  ($((SECONDS - start)) s)")
    else
        loud "FAILED under Python $version ($py)"
        results+=("FAIL  $version  $py  ($((SECONDS - start)) s)")
        status=1
    fi
done

# The type check, under the newest interpreter found.
newest=""
newest_version=0
for py in "${interpreters[@]}"; do
    v="$("$py" -c 'import sys; print(sys.version_info[0] * 100 + sys.version_info[1])')"
    if [ "$v" -gt "$newest_version" ]; then
        newest="$py"
        newest_version="$v"
    fi
done
if [ -z "$newest" ]; then
    loud "FATAL: no interpreter to run mypy with"
    results+=("FAIL  mypy --strict (no interpreter)")
    status=1
else
    if ! "$newest" -m mypy --version >/dev/null 2>&1; then
        echo "installing mypy for $newest" >&2
        "$newest" -m pip install --quiet --disable-pip-version-check mypy >&2 || true
    fi
    if ! "$newest" -m mypy --version >/dev/null 2>&1; then
        loud "FATAL: mypy cannot be had for $newest"
        results+=("FAIL  mypy --strict (mypy missing)")
        status=1
    elif (cd "$here" && "$newest" -m mypy --strict --no-incremental --cache-dir=/dev/null src/mprelay); then
        results+=("ok    mypy --strict src/mprelay ($("$newest" -m mypy --version))")
    else
        loud "FAILED: mypy --strict src/mprelay"
        results+=("FAIL  mypy --strict src/mprelay")
        status=1
    fi
fi

echo
echo "mprelay Python client tests:"
for line in "${results[@]}"; do
    echo "  $line"
done
if [ "$status" -ne 0 ]; then
    loud "SOME INTERPRETERS FAILED OR ARE MISSING"
fi
exit "$status"
