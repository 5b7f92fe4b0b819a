"""Messages between peers on different nodes: the envelopes, errors and order of one node
(docs/PROTOCOL.md), across the cluster (docs/CLUSTER.md)."""

import pickle
import threading
import time

import pytest

import relaywire as rw
from clusternodes import NODES, running_cluster, unique


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("messaging"), "messaging") as running:
        yield running


def _stock_and_python(cluster, stock_node, python_node, stock_prefix, python_prefix):
    """A stock Client on one node and the mprelay client on another, each visible to the other's
    node: (stock peer, its name, mprelay peer, its name)."""
    stock_name, python_name = unique(stock_prefix), unique(python_prefix)
    stock = cluster.peer(stock_node, stock_name)
    python = cluster.client(python_node, python_name)
    cluster.wait_listed(stock_node, python_name)
    cluster.wait_listed(python_node, stock_name)
    return stock, stock_name, python, python_name


def test_a_stock_client_and_the_mprelay_client_exchange_messages_across_nodes(cluster):
    stock, stock_name, python, python_name = _stock_and_python(cluster, "a", "b", "stock", "python")

    stock.send(python_name, b"from a stock Client", cid=7, flags=0x20)
    message = python.recv(timeout=5)
    assert (message.sender, message.data, message.correlation_id, message.flags) == (
        stock_name, b"from a stock Client", 7, 0x20)

    python.send(stock_name, {"answer": 42})
    deliver = stock.recv_kind(rw.DELIVER)
    assert deliver.fields["sender"] == python_name, deliver
    assert deliver.fields["flags"] & 0x01, "the pickle flag was not carried across: %r" % (deliver,)
    assert pickle.loads(deliver.fields["payload"]) == {"answer": 42}


def test_a_send_to_a_name_registered_nowhere_gets_unknown_peer_at_once_on_every_node(cluster):
    for node in NODES:
        sender = cluster.peer(node, unique("lonely-" + node))
        start = time.monotonic()
        sender.send("nobody-anywhere", b"hello?", cid=42)
        error = sender.recv_kind(rw.ERROR, timeout=2.0)
        elapsed = time.monotonic() - start
        assert (error.fields["code"], error.fields["cid"], error.fields["peer"]) == (
            rw.E_UNKNOWN_PEER, 42, "nobody-anywhere"), error
        assert elapsed < 0.5, "unknown peer on node %s took %.3f s" % (node, elapsed)


@pytest.mark.parametrize("options", [rw.OPT_CONFIRM, 0], ids=["confirm", "unconfirmed"])
def test_a_send_to_a_remote_peer_that_just_left_gets_unknown_peer_not_silence(cluster, options):
    # Node b answers a confirm SEND in an outcome frame, an unconfirmed one in its acknowledgement.
    receiver_name = unique("leaver")
    sender = cluster.peer("a", unique("sender"))
    receiver = cluster.peer("b", receiver_name)
    cluster.wait_listed("a", receiver_name)
    receiver.send_raw(rw.goodbye())
    receiver.expect_closed()
    cluster.wait_listed("b", receiver_name, present=False)
    # Node a may not have seen the departure yet: then node b answers for it.
    sender.send(receiver_name, b"too late", cid=5, options=options)
    error = sender.recv_kind(rw.ERROR)
    assert (error.fields["code"], error.fields["cid"], error.fields["peer"]) == (
        rw.E_UNKNOWN_PEER, 5, receiver_name), error


def test_request_and_reply_carry_the_correlation_id_across_nodes(cluster):
    requester, requester_name, server, server_name = _stock_and_python(cluster, "a", "c", "requester", "server")

    def serve():
        message = server.recv(timeout=5)
        message.reply_bytes(b"re: " + message.data)

    thread = threading.Thread(target=serve)
    thread.start()
    requester.send(server_name, b"question", cid=0xC0FFEE)
    reply = requester.recv_kind(rw.DELIVER)
    thread.join(5)
    assert (reply.fields["sender"], reply.fields["cid"], reply.fields["options"], reply.fields["payload"]) == (
        server_name, 0xC0FFEE, rw.OPT_REPLY, b"re: question"), reply

    # The other way round: the mprelay client asks, the stock Client answers.
    answer = []
    asking = threading.Thread(target=lambda: answer.append(server.request_bytes(requester_name, b"ping?", timeout=5)))
    asking.start()
    request = requester.recv_kind(rw.DELIVER)
    requester.send(server_name, b"pong!", cid=request.fields["cid"], options=rw.OPT_REPLY)
    asking.join(10)
    assert answer and (answer[0].sender, answer[0].data, answer[0].is_reply) == (requester_name, b"pong!", True)


def test_confirm_gets_an_ack_from_the_receiving_node_and_ping_is_answered_on_every_node(cluster):
    sender, sender_name, receiver, receiver_name = _stock_and_python(cluster, "b", "a", "confirmer", "confirmed")
    sender.send(receiver_name, b"sure?", cid=99, options=rw.OPT_CONFIRM)
    ack = sender.recv_kind(rw.ACK)
    assert ack.fields["cid"] == 99, ack
    assert receiver.recv(timeout=5).data == b"sure?"
    receiver.send_bytes(sender_name, b"yes", confirm=True, timeout=5)
    assert sender.recv_kind(rw.DELIVER).fields["payload"] == b"yes"

    for node in NODES:
        pinger = cluster.peer(node, unique("pinger-" + node))
        pong = pinger.request(rw.ping(0x1234 + ord(node)), rw.PONG)
        assert pong.fields["cid"] == 0x1234 + ord(node), pong
    assert receiver.ping(timeout=5) < 5


def _flow(cluster, sender_node, receiver_node, count, errors):
    """Opens a pair, sends `count` numbered messages in a thread; returns (thread, receive) where
    receive() checks that all arrive in order. Problems are appended to `errors`."""
    sender_name, receiver_name = unique("flow-%s" % sender_node), unique("sink-%s" % receiver_node)
    receiver = cluster.client(receiver_node, receiver_name)
    sender = cluster.client(sender_node, sender_name)
    cluster.wait_listed(sender_node, receiver_name)

    def send():
        try:
            for start in range(0, count, 500):
                sender.send_many(receiver_name, [b"%d" % i for i in range(start, min(start + 500, count))])
        except Exception as error:  # reported by the test
            errors.append("%s -> %s: send failed: %r" % (sender_name, receiver_name, error))

    def receive():
        expected = 0
        try:
            while expected < count:
                for message in receiver.recv_many(timeout=20):
                    if message.data != b"%d" % expected or message.sender != sender_name:
                        errors.append("%s -> %s: message %d is %r from %s" % (
                            sender_name, receiver_name, expected, message.data, message.sender))
                        return
                    expected += 1
        except Exception as error:
            errors.append("%s -> %s: %d of %d received, then %r" % (sender_name, receiver_name, expected, count, error))

    return threading.Thread(target=send), threading.Thread(target=receive)


def _run_flows(flows):
    threads = [t for pair in flows for t in pair]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "a flow is still running after 120 s"


def test_ten_thousand_messages_arrive_complete_and_in_order_across_nodes(cluster):
    errors = []
    start = time.monotonic()
    _run_flows([_flow(cluster, "a", "b", 10000, errors)])
    print("10000 messages a -> b in %.2f s" % (time.monotonic() - start))
    assert not errors, errors


def test_eight_pairs_spread_over_three_nodes_each_keep_their_order(cluster):
    errors = []
    # Every sender on another node than its receiver, one or two nodes along.
    pairs = [(NODES[i % 3], NODES[(i % 3 + 1 + (i // 3) % 2) % 3]) for i in range(8)]
    start = time.monotonic()
    _run_flows([_flow(cluster, s, r, 10000, errors) for s, r in pairs])
    print("8 pairs x 10000 messages over %s in %.2f s" % (pairs, time.monotonic() - start))
    assert not errors, errors
