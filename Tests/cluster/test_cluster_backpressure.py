"""A receiver on node b that reads nothing: its senders on node a get ERROR `peer busy` for what
does not fit its queue, every message is either delivered or answered, and node a's memory
stays within its bounds however much is sent (docs/PROTOCOL.md, delivery semantics)."""

import threading
import time

import pytest

import relaywire as rw
from clusternodes import running_cluster, send_until, unique

MESSAGE = 64 * 1024
FLOOD = 1600  # 100 MiB
MAX_OUTBOUND = 1024 * 1024
# What node a may grow by while the flood passes: its queues are bounded by `max_outbound_bytes`
# and `max_pending_bytes` (8 MiB by default); the rest is allocator slack.
RSS_BOUND_KIB = 32 * 1024


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("backpressure"), "backpressure", max_message_bytes=256 * 1024,
                         max_outbound_bytes=MAX_OUTBOUND, slow_consumer_timeout=0.0) as running:
        yield running


def test_a_slow_receiver_on_another_node_does_not_grow_the_senders_node(cluster):
    node_a = cluster.nodes["a"]
    sender = cluster.peer("a", unique("flooder"))
    sleeper = cluster.peer("b", unique("sleeper"))
    cluster.wait_listed("a", sleeper.name)
    # Warm up the path (buffers of the first cross-node messages) before the first reading.
    send_until(sender, sleeper, rw.DELIVER, timeout=5)
    rss_before = node_a.rss_kib()

    answers = {}
    done = threading.Event()

    def read_answers():
        while not done.is_set() or sender.conn.poll(1.0):
            if sender.conn.poll(0.1):
                error = sender.recv_kind(rw.ERROR)
                answers[error.fields["cid"]] = error.fields["code"]

    reader = threading.Thread(target=read_answers)
    reader.start()
    payload = b"x" * MESSAGE
    peak = rss_before
    start = time.monotonic()
    for i in range(2, FLOOD + 2):
        sender.send(sleeper.name, payload, cid=i)
        if i % 100 == 0:
            peak = max(peak, node_a.rss_kib())
    flood_seconds = time.monotonic() - start
    time.sleep(1.0)
    peak = max(peak, node_a.rss_kib())
    done.set()
    reader.join(30)

    delivered = []
    while sleeper.conn.poll(2.0):
        delivered.append(sleeper.recv_kind(rw.DELIVER).fields["cid"])
    print("%d x %d KiB to a receiver that sleeps, in %.1f s: %d delivered, %d peer busy; node a RSS %d KiB "
          "before, peak %d KiB (+%d KiB)" % (FLOOD, MESSAGE // 1024, flood_seconds, len(delivered),
                                             len(answers), rss_before, peak, peak - rss_before))
    assert set(answers.values()) <= {rw.E_PEER_BUSY}, answers
    assert answers, "a receiver reading nothing took %d MiB without one peer busy" % (FLOOD * MESSAGE >> 20)
    assert delivered == sorted(delivered), "deliveries out of order"
    missing = sorted(set(range(2, FLOOD + 2)) - set(delivered) - set(answers))
    assert not missing, "%d messages neither delivered nor answered: %s..." % (len(missing), missing[:20])
    assert peak - rss_before < RSS_BOUND_KIB, "node a grew by %d KiB (bound %d KiB)" % (
        peak - rss_before, RSS_BOUND_KIB)
