"""The integration suite's face of the daemon test harness (Tests/fixtures/mprelayd_harness.py):
the harness's names under the module name the suites have always imported, plus the choice of the
heavy tests that run under the newest interpreter only.

The binary is `<repo>/.build/debug/mprelayd` unless the environment variable MPRELAYD names
another one.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))

from mprelayd_harness import (AUTHKEY, DEFAULT_BROKER, REPO, Ctl, Relay, RelayFactory,  # noqa: E402,F401
                              address_kinds, address_text, check_config, describe_binary, mprelayctl_binary,
                              mprelayd_binary, python_address, render_config, report_header, require_binary,
                              toml_value)

_NEWEST_PYTHON = []


def newest_python():
    """(major, minor) of the newest interpreter that `make test` runs the integration suite under:
    pyenv's CPython 3.8-3.13 and the default python3, as run-all-pythons.sh picks them. Falls back
    to the running interpreter when pyenv is not there."""
    if _NEWEST_PYTHON:
        return _NEWEST_PYTHON[0]
    found = [tuple(sys.version_info[:2])]
    try:
        root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=20, check=True).stdout.decode().strip()
        bare = subprocess.run(["pyenv", "versions", "--bare"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              timeout=20).stdout.decode().split()
        for version in bare:
            m = re.match(r"^3\.(8|9|10|11|12|13)\.\d+$", version)
            minor = "3.%s" % m.group(1) if m else None
            if minor and os.access(os.path.join(root, "versions", version, "bin", "python" + minor), os.X_OK):
                found.append((3, int(m.group(1))))
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        out = subprocess.run(["python3", "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=20).stdout.decode().split()
        if len(out) == 2:
            found.append((int(out[0]), int(out[1])))
    except (OSError, subprocess.SubprocessError):
        pass
    _NEWEST_PYTHON.append(max(found))
    return _NEWEST_PYTHON[0]


def heavy_test_skip_reason():
    """None if heavy tests run under this interpreter, else why not. Heavy tests run under the
    newest interpreter only, to keep the six-interpreter run short; MPRELAY_HEAVY_TESTS=1 runs
    them anyway."""
    if os.environ.get("MPRELAY_HEAVY_TESTS") == "1":
        return None
    newest = newest_python()
    if tuple(sys.version_info[:2]) >= newest:
        return None
    return ("heavy hostile-load test: runs only under CPython %d.%d, the newest interpreter present "
            "(MPRELAY_HEAVY_TESTS=1 runs it here)" % newest)
