@testable import MPRelayBroker
import Testing

/// The poller's turn-taking rules without sockets: one holder at a time, events noted while it
/// runs, and what a finished turn hands on.
@Suite("Poller turns")
struct PollerTurnTests {
    @Test func anEventForAnIdleRegistrationTakesTheTurn() {
        var turn = PollerTurn.idle
        #expect(turn.arrive(.readable) == .enter)
        #expect(turn.isHeld)
        #expect(turn.noted.isEmpty)
    }

    @Test func eventsWhileTheTurnIsHeldAreNotedNotEntered() {
        var turn = PollerTurn.idle
        _ = turn.arrive(.readable)
        #expect(turn.arrive(.readable) == .noted)
        #expect(turn.arrive(.writable) == .noted)
        #expect(turn.isHeld)
        #expect(turn.noted == [.readable, .writable])
    }

    @Test func aDrainedTurnWithNothingNotedGivesTheTurnUp() {
        var turn = PollerTurn.idle
        _ = turn.arrive(.readable)
        #expect(turn.finish(drained: true) == .released)
        #expect(turn == .idle)
        #expect(turn.arrive(.writable) == .enter)
    }

    @Test func anUndrainedTurnKeepsTheTurnForAnotherRead() {
        var turn = PollerTurn.idle
        _ = turn.arrive(.readable)
        #expect(turn.finish(drained: false) == .next(.readable))
        #expect(turn.isHeld)
        #expect(turn.arrive(.readable) == .noted)
    }

    @Test func whatWasNotedGoesToTheNextTurnOnce() {
        var turn = PollerTurn.idle
        _ = turn.arrive(.readable)
        _ = turn.arrive(.writable)
        #expect(turn.finish(drained: true) == .next(.writable))
        #expect(turn.noted.isEmpty)
        #expect(turn.finish(drained: true) == .released)
    }

    @Test func notedReadingJoinsAnUndrainedTurnsNextRead() {
        var turn = PollerTurn.idle
        _ = turn.arrive(.writable)
        _ = turn.arrive(.readable)
        _ = turn.arrive(.writable)
        #expect(turn.finish(drained: false) == .next([.readable, .writable]))
    }

    @Test func theStoredByteRestoresTheState() {
        var turn = PollerTurn.idle
        _ = turn.arrive(.readable)
        _ = turn.arrive(.writable)
        #expect(PollerTurn(rawValue: turn.rawValue) == turn)
    }
}
