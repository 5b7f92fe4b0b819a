"""Naming the case that failed when one test checks one sentence of the doc on many inputs."""

from contextlib import contextmanager


@contextmanager
def case(label):
    """Re-raises an AssertionError inside the block with `label` in front of its message."""
    try:
        yield
    except AssertionError as exc:
        raise AssertionError("case %s: %s" % (label, exc)) from exc
