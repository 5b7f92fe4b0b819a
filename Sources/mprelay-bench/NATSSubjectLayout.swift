import MPRelayNATS
import MPRelayProtocol

/// How a `--protocol nats` run maps a receiving link's name onto NATS subjects: the cost, on
/// the engine's side, of a subject per mprelay node against a subject per peer.
///
/// With one subscription (the default) a receiving link subscribes to the subject equal to its
/// name, as one mprelayd node subscribes to its node's subject. With `subscriptions` N > 1 it
/// subscribes to `NAME.0` ... `NAME.<N-1>`, as a node would to one subject per peer registered
/// on it, and a sender spreads its messages round-robin over the first `subjects` K of them, as
/// messages to K different peers of that node would travel.
struct NATSSubjectLayout: Sendable, Equatable {
    /// Subscriptions each receiving link holds, at least 1.
    let subscriptions: Int
    /// Of those, how many subjects a sender publishes to, 1 to ``subscriptions``.
    let subjects: Int

    /// One subject per receiver, one subscription: a subject per node.
    static let single = NATSSubjectLayout(subscriptions: 1, subjects: 1)

    /// The subjects a receiving link named `name` subscribes to, in order.
    func subscribed(by name: PeerName) throws(BenchError) -> [NATSSubject] {
        try (0..<subscriptions).map { (index) throws(BenchError) in try subject(name, index) }
    }

    /// The subjects a sender spreads its messages to `name` over, in round-robin order.
    func published(to name: PeerName) throws(BenchError) -> [NATSSubject] {
        try (0..<subjects).map { (index) throws(BenchError) in try subject(name, index) }
    }

    /// The subject a receiving link subscribes to last: once a message published to it from
    /// another server arrives, that server knows every subscription of the link (a route
    /// forwards interest in order).
    func lastSubscribed(by name: PeerName) throws(BenchError) -> NATSSubject {
        try subject(name, subscriptions - 1)
    }

    private func subject(_ name: PeerName, _ index: Int) throws(BenchError) -> NATSSubject {
        let text = subscriptions == 1 ? name.description : "\(name).\(index)"
        do {
            return try NATSSubject(text)
        } catch {
            throw BenchError(.setup, "nats subject \(text): \(error)")
        }
    }
}
