"""Losing NATS (docs/CLUSTER.md): one of three servers costs a reconnect and at most the messages
in flight, each reported to its sender, `confirm` or not; all three leave each node relaying
between its own peers, cross-node SENDs and HELLOs answered ERROR `cluster unavailable`, and
everything comes back when NATS does."""

import threading
import time

import pytest

import relaywire as rw
from clusternodes import documented_error_code, errors_about, running_cluster, send_until, unique


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("nats-loss"), "nats-loss") as running:
        yield running


@pytest.mark.parametrize("confirm", [True, False], ids=["confirm", "unconfirmed"])
def test_losing_one_nats_server_leaves_no_send_unanswered(cluster, confirm):
    sender = cluster.peer("a", unique("steady-sender"))
    receiver = cluster.peer("b", unique("steady-receiver"))
    watcher = cluster.peer("c", unique("bystander"))
    cluster.wait_listed("a", receiver.name)
    cluster.wait_listed("c", sender.name)
    assert watcher.request(rw.watch(4), rw.ACK).fields["cid"] == 4
    received, answers = [], {}

    def collect(peer, into):
        while True:
            try:
                envelope = peer.recv(timeout=5)
            except AssertionError:
                return  # five quiet seconds: the flow is over
            into(envelope)

    threads = [threading.Thread(target=collect, args=(receiver, lambda e: received.append(e.fields["cid"]))),
               threading.Thread(target=collect, args=(sender, lambda e: answers.setdefault(e.fields["cid"], []).append(e)))]
    for thread in threads:
        thread.start()
    victim = cluster.nats.serving("mprelayd a")  # the server node a publishes through
    sent = 0
    try:
        start = time.monotonic()
        while time.monotonic() - start < 4.0:
            sent += 1
            sender.send(receiver.name, b"steady %d" % sent, cid=sent, options=rw.OPT_CONFIRM if confirm else 0)
            if victim.running and time.monotonic() - start > 1.0:
                victim.kill()
            time.sleep(0.002)
        for thread in threads:
            thread.join(30)
        refusals = {cid: [e for e in found if e.kind == rw.ERROR] for cid, found in answers.items()}
        refusals = {cid: found for cid, found in refusals.items() if found}
        errors = {cid: [e.fields["code"] for e in found] for cid, found in refusals.items()}
        print("nats-server %s killed: %d %s SENDs, %d delivered, errors %r; the first: %r" % (
            victim.name, sent, "confirmed" if confirm else "unconfirmed", len(received), errors,
            [found[0].fields["text"] for found in list(refusals.values())[:3]]))
        assert received == sorted(received), "deliveries out of order"
        if confirm:
            silent = [cid for cid in range(1, sent + 1) if cid not in answers]
            assert not silent, "%d confirmed SENDs got neither ACK nor ERROR: %s..." % (len(silent), silent[:20])
            twice = {cid: found for cid, found in answers.items() if len(found) > 1}
            assert not twice, "confirmed SENDs answered twice: %r" % twice
            acked_not_delivered = [cid for cid, found in answers.items() if found[0].kind == rw.ACK and cid not in received]
            assert not acked_not_delivered, "ACKed but never delivered: %r" % acked_not_delivered
        else:
            # Without confirm, a message is delivered, or its sender hears why not: never both,
            # never neither.
            delivered = set(received)
            silent = [cid for cid in range(1, sent + 1) if cid not in delivered and cid not in refusals]
            assert not silent, "%d SENDs neither delivered nor refused: %s..." % (len(silent), silent[:20])
            both = sorted(delivered & set(refusals))
            assert not both, "SENDs delivered and refused: %r" % {cid: errors[cid] for cid in both}
        # A message in flight when its server died may be lost, reported as cluster unavailable.
        unavailable = documented_error_code("cluster unavailable")
        assert all(codes == [unavailable] for codes in errors.values()), refusals
        cluster.nodes["a"].wait_for_log(r"(?i)reconnect", timeout=10)
        presence = []
        while watcher.conn.poll(0.2):
            presence.append(watcher.recv())
        flickers = [e for e in presence if e.fields.get("name") in (sender.name, receiver.name)]
        assert not flickers, "a watcher on node c saw peers that never left come and go: %r" % flickers

        # Names are still claimed and reached with one server down. The other nodes hear of a new
        # name through the bucket's watch, which waits out the JetStream leader elections the
        # loss may cause (seconds; docs/CLUSTER.md).
        newcomer = cluster.peer("a", unique("while-degraded"))
        caller = cluster.peer("c", unique("degraded-caller"))
        cluster.wait_listed("c", newcomer.name, timeout=30.0)
        deliver, seen = send_until(caller, newcomer, rw.DELIVER, timeout=5)
        assert not errors_about(seen, newcomer.name), seen
    finally:
        cluster.nats.start()


def test_without_any_nats_server_nodes_relay_locally_refuse_cross_node_and_recover(cluster):
    unavailable = documented_error_code("cluster unavailable")
    sender = cluster.peer("a", unique("stranded"))
    neighbour = cluster.peer("a", unique("neighbour"))
    remote = cluster.peer("b", unique("far-away"))
    cluster.wait_listed("a", remote.name)
    cluster.wait_listed("b", sender.name)
    sent = []  # the SENDs to the remote peer made while NATS is down
    try:
        for server in cluster.nats.servers:
            server.kill()
        lost_at = time.monotonic()

        sender.send(neighbour.name, b"next door", cid=1)
        deliver = neighbour.recv_kind(rw.DELIVER)
        assert (deliver.fields["sender"], deliver.fields["payload"]) == (sender.name, b"next door")

        refusal, seen = send_until(sender, remote, rw.ERROR, timeout=15, sent=sent)
        print("without NATS: cross-node SEND refused %.2f s after the loss; answers %r"
              % (time.monotonic() - lost_at, seen))
        assert (refusal.fields["code"], refusal.fields["peer"]) == (unavailable, remote.name), refusal
        assert refusal.fields["cid"] in sent, "the ERROR does not carry the SEND's id: %r" % (refusal,)

        newcomer = cluster.peer("c")
        newcomer.send_raw(rw.hello(unique("homeless")))
        answer = newcomer.recv(timeout=15)
        assert (answer.kind, answer.fields.get("code")) == (rw.ERROR, unavailable), answer
    finally:
        cluster.nats.start()
    back_at = time.monotonic()

    deliver, after = send_until(sender, remote, rw.DELIVER, timeout=30)
    print("NATS back: a cross-node SEND delivered after %.2f s; envelopes before it %r"
          % (time.monotonic() - back_at, after[:-1]))
    assert deliver.fields["sender"] == sender.name, deliver
    newcomer = cluster.peer("c", unique("after-the-storm"))
    cluster.wait_listed("a", newcomer.name)
    deliver, late = send_until(sender, newcomer, rw.DELIVER, timeout=5)
    assert not errors_about(late, newcomer.name), late

    # Every SEND made in the outage got its answer (nats_timeout is 2 s): delivered or refused, not both.
    for peer in (sender, remote):
        while peer.conn.poll(3.0):
            late.append(peer.recv())
    outcomes = {}
    for envelope in seen + after + late:
        if envelope.kind in (rw.DELIVER, rw.ERROR) and envelope.fields["cid"] in sent:
            outcomes.setdefault(envelope.fields["cid"], []).append(envelope)
    silent = [cid for cid in sent if cid not in outcomes]
    twice = {cid: found for cid, found in outcomes.items() if len(found) > 1}
    assert not silent, "SENDs made while NATS was down that got neither DELIVER nor ERROR: %r" % silent
    assert not twice, "SENDs made while NATS was down with two outcomes: %r" % twice
