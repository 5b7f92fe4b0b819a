import Dispatch
import MPRelayProtocol
import Synchronization

/// Which names on other nodes this node's watchers have been told of (JOINED, not LEFT since),
/// and on which node: so that each arrival and departure is announced once, whichever tells of
/// it first. A peer's first message from another node can arrive before the bucket's watch shows
/// its claim (core NATS and JetStream are separate paths); the delivery then announces the JOINED
/// itself, ahead of the message, as one node would, and the watch's JOINED later is no news. A
/// message that arrives after the watch showed its sender leave announces nothing: the sender
/// is gone, and a JOINED would never be followed by its LEFT.
final class RemotePresence: Sendable {
    private struct State {
        var announced: [PeerName: String] = [:]
        /// Names announced LEFT, with their node and when, for ``departureMemory``.
        var departed: [PeerName: (node: String, at: UInt64)] = [:]
    }

    /// How long a departure keeps a late message from announcing its sender again, in
    /// nanoseconds.
    static let departureMemory: UInt64 = 30_000_000_000
    /// Departures remembered before the old ones are dropped.
    static let maxDepartures = 4096

    private let state = Mutex(State())

    /// The watch shows `name` registered on `node`; true when watchers must hear JOINED.
    func joined(_ name: PeerName, on node: String) -> Bool {
        state.withLock { state in
            if state.departed[name]?.node == node { state.departed[name] = nil }
            guard state.announced[name] != node else { return false }
            state.announced[name] = node
            return true
        }
    }

    /// A message from `name` on `node` arrived at `now` (uptime nanoseconds, read only when the
    /// name is not announced yet); true when watchers must hear JOINED first: its claim has not
    /// come through the watch yet, the watch did not show it leave just before, and nobody else
    /// holds the name as far as the watch shows (a message from a holder the name has moved away
    /// from announces nothing).
    func messageArrived(from name: PeerName, on node: String, now: @autoclosure () -> UInt64) -> Bool {
        state.withLock { state in
            guard state.announced[name] == nil else { return false }
            if let departure = state.departed[name], departure.node == node, now() &- departure.at < Self.departureMemory {
                return false
            }
            state.announced[name] = node
            return true
        }
    }

    /// The watch shows `name` gone from `node` at `now`; true when watchers must hear LEFT
    /// (they heard it joined there, and not yet that it left).
    func left(_ name: PeerName, from node: String, now: UInt64) -> Bool {
        state.withLock { state in
            guard state.announced[name] == node else { return false }
            state.announced[name] = nil
            if state.departed.count >= Self.maxDepartures {
                state.departed = state.departed.filter { now &- $0.value.at < Self.departureMemory }
                if state.departed.count >= Self.maxDepartures { state.departed.removeAll() }
            }
            state.departed[name] = (node, now)
            return true
        }
    }
}
