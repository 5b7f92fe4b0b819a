import MPRelayCluster
import Synchronization

/// The `confirm` SENDs a node published to other nodes and has no answer for yet, the node each
/// went to and when: when that node dies first, or no answer comes in time (the message was
/// lost with a NATS server, or held for a NATS link that did not come back), each sender gets an
/// ERROR instead of waiting for an ACK that will never come. Bounded: past ``limit`` a SEND is
/// not tracked, and only NATS's report that it reached no node answers it if it is lost.
final class PendingConfirms: Sendable {
    private struct Key: Hashable {
        var connection: UInt64
        var correlationID: UInt64
    }

    /// The most SENDs tracked at once.
    let limit: Int
    private struct Entry {
        var send: UndeliveredSend
        /// When it was published, in uptime nanoseconds.
        var sentAt: UInt64
    }

    private let pending = Mutex<[Key: Entry]>([:])

    /// An empty table that tracks at most `limit` SENDs.
    init(limit: Int = 65_536) {
        self.limit = limit
    }

    /// Notes `send`, published at `now` (uptime nanoseconds), as waiting for an answer; false
    /// when the table is full.
    func track(_ send: UndeliveredSend, now: UInt64) -> Bool {
        pending.withLock { pending in
            guard pending.count < limit else { return false }
            pending[Key(connection: send.senderConnection, correlationID: send.correlationID)] = Entry(send: send, sentAt: now)
            return true
        }
    }

    /// The SEND of `connection` numbered `correlationID` was answered (or will be): forgets it.
    /// Returns whether it was waiting.
    @discardableResult
    func settle(connection: UInt64, correlationID: UInt64) -> Bool {
        pending.withLock { $0.removeValue(forKey: Key(connection: connection, correlationID: correlationID)) != nil }
    }

    /// Forgets and returns every SEND waiting for `node`, which died.
    func abandon(node: String) -> [UndeliveredSend] {
        remove { $0.send.receiverNode == node }
    }

    /// Forgets and returns every SEND published before `deadline` (uptime nanoseconds).
    func expire(sentBefore deadline: UInt64) -> [UndeliveredSend] {
        remove { $0.sentAt < deadline }
    }

    private func remove(where lost: (Entry) -> Bool) -> [UndeliveredSend] {
        pending.withLock { pending in
            let removed = pending.filter { lost($0.value) }
            for key in removed.keys { pending[key] = nil }
            return removed.values.map(\.send).sorted { ($0.senderConnection, $0.correlationID) < ($1.senderConnection, $1.correlationID) }
        }
    }

    /// How many SENDs wait for an answer.
    var count: Int { pending.withLock { $0.count } }
}
