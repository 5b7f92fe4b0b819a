"""Fixtures of the cluster suite: each test module starts its own cluster (three nats-servers
with JetStream, three mprelayd nodes; clusternodes.py) in a module-scoped `cluster` fixture,
so that what one module does to NATS or to a node cannot leak into another.

A failed test's report gets the tail of every daemon's and nats-server's log. The daemon is
`<repo>/.build/debug/mprelayd` unless MPRELAYD names another; nats-server is found on PATH or
through NATS_SERVER, and a missing one fails the suite under CI=true.
"""

import pytest

from clusternodes import Cluster
from mprelayd_harness import report_header


def pytest_report_header(config):
    return report_header(with_mprelayctl=True)


@pytest.fixture(autouse=True)
def _close_cluster_peers(request):
    """Closes the connections a test opened on its module's cluster, once the test is over."""
    yield
    if "cluster" in request.fixturenames:
        request.getfixturevalue("cluster").close_peers()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    cluster = getattr(item, "funcargs", {}).get("cluster")
    if report.failed and isinstance(cluster, Cluster):
        report.sections.append(("cluster logs (%s)" % report.when, cluster.describe()))
