@testable import MPRelayBroker
import MPRelayProtocol
import Testing

/// Presence of names on other nodes: each JOINED and LEFT once, whether the watch or a message
/// tells of it first, and no JOINED for a late message from a peer that left.
@Suite struct RemotePresenceTests {
    private let second: UInt64 = 1_000_000_000

    @Test func aMessageAheadOfTheWatchAnnouncesItsSenderOnce() {
        let presence = RemotePresence()
        #expect(presence.messageArrived(from: "eager", on: "c", now: 0))
        #expect(!presence.messageArrived(from: "eager", on: "c", now: 1))
        #expect(!presence.joined("eager", on: "c"))
        #expect(presence.left("eager", from: "c", now: 2))
        #expect(!presence.left("eager", from: "c", now: 3))
    }

    @Test func aLateMessageFromAPeerThatLeftAnnouncesNothingUntilItRegistersAgain() {
        let presence = RemotePresence()
        #expect(presence.joined("p", on: "b"))
        #expect(presence.left("p", from: "b", now: 10 * second))
        #expect(!presence.messageArrived(from: "p", on: "b", now: 11 * second))
        #expect(presence.joined("p", on: "b"))
        #expect(presence.left("p", from: "b", now: 12 * second))
        // Long after its departure, a message from that name is a new registration's.
        #expect(presence.messageArrived(from: "p", on: "b", now: 12 * second + RemotePresence.departureMemory))
    }

    @Test func aNameMovingBetweenNodesLeavesOneAndJoinsTheOther() {
        let presence = RemotePresence()
        #expect(presence.joined("m", on: "b"))
        #expect(!presence.left("m", from: "c", now: 0))
        #expect(presence.left("m", from: "b", now: 0))
        #expect(presence.joined("m", on: "c"))
        #expect(!presence.messageArrived(from: "m", on: "b", now: 1))
    }
}
