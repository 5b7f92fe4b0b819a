"""The C generator's RESULT lines as compare-c.sh and flood-isolation.sh record them, one
`LABEL WORKLOAD RESULT key=value...` per run, and their medians for the scripts' tables."""

import statistics


def load(path):
    """{(label, workload): [fields of each run]} from a results file."""
    runs = {}
    for line in open(path):
        label, workload, rest = line.split(" ", 2)
        fields = dict(part.split("=", 1) for part in rest.split()[1:] if "=" in part)
        runs.setdefault((label, workload), []).append(fields)
    return runs


def median(runs, label, workload, key):
    """The median of `key` over the runs that ended ok, or None when none did."""
    values = [float(r[key]) for r in runs.get((label, workload), []) if r.get("status") == "ok" and key in r]
    return statistics.median(values) if values else None


def cell(value, digits=1):
    """A table cell: the number with thousands separators, or `failed`."""
    return "failed" if value is None else f"{value:,.{digits}f}"


def damaged(runs):
    """Messages lost, missing, reordered or corrupted, over every run."""
    return sum(int(r.get(k, 0)) for results in runs.values() for r in results
               for k in ("lost", "missing", "reorder", "bad"))
