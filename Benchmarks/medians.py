"""The summary side of the comparison scripts: the JSON lines `bench` (processes.sh) appends to
$RESULTS, grouped by tag, and one table cell per tag and field: the median of the rounds that
succeeded, with their range."""

import json
import statistics


def load_runs(path):
    """Every run's result (None for a run that failed without output), by tag, in file order."""
    runs = {}
    with open(path) as results:
        for line in results:
            entry = json.loads(line)
            runs.setdefault(entry["tag"], []).append(entry["result"])
    return runs


def cell(runs, tag, key, fmt):
    """The text of one table cell, `median (min-max)`, and the median itself (None when no run of
    `tag` succeeded: the text then says "failed", or "-" when there was no such run)."""
    values = [r[key] for r in runs.get(tag, []) if r and r.get("status") == "ok" and key in r]
    if not values:
        return ("failed" if runs.get(tag) else "-"), None
    median = statistics.median(values)
    text = fmt(median) + (f" ({fmt(min(values))}-{fmt(max(values))})" if len(values) > 1 else "")
    return text, median
