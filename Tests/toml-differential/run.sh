#!/usr/bin/env bash
# The differential test of MPRelayTOML against CPython's tomllib, with the newest CPython 3.11+
# that pyenv lists.
#
#   Tests/toml-differential/run.sh COUNT [--seed S]
#
# Needs a built toml-decode (`swift build --product toml-decode`, or TOML_DECODE=/path). Feeds it
# COUNT generated documents plus the configuration fuzz corpus (Fuzz/Corpus/config). Fails if no
# CPython 3.11+ is found: tomllib is the reference.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
count=${1:?usage: Tests/toml-differential/run.sh COUNT [--seed S]}
shift

die() {
    echo "toml-differential: ERROR: $*" >&2
    exit 2
}

decoder="${TOML_DECODE:-$repo/.build/debug/toml-decode}"
[ -x "$decoder" ] || die "no toml-decode at $decoder: run 'swift build --product toml-decode' first or set TOML_DECODE"
command -v pyenv >/dev/null 2>&1 || die "pyenv is missing: it provides the CPython 3.11+ whose tomllib is the reference"
pyenv_root="$(pyenv root)" || die "'pyenv root' failed"

python=
while read -r version; do
    [[ "$version" =~ ^3\.(1[1-9])\.[0-9]+$ ]] || continue
    candidate="$pyenv_root/versions/$version/bin/python${version%.*}"
    [ -x "$candidate" ] && python="$candidate"
done < <(pyenv versions --bare 2>/dev/null | sort -V)
[ -n "$python" ] || die "no CPython 3.11 or later found by 'pyenv versions --bare': tomllib is needed"

exec "$python" "$here/differential.py" --decoder "$decoder" --count "$count" --corpus "$repo/Fuzz/Corpus/config" "$@"
