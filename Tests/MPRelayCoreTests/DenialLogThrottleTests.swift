import MPRelayCore
import Testing

@Suite struct DenialLogThrottleTests {
    private let second: UInt64 = 1_000_000_000

    @Test func logsOnceASecondAndCountsWhatItHeldBack() {
        var throttle = DenialLogThrottle()
        let times = [10 * second, 10 * second + 1, 10 * second + second / 2, 11 * second, 13 * second]
        var verdicts: [String] = []
        for time in times {
            let (log, suppressed) = throttle.shouldLog(now: time)
            verdicts.append(log ? "log, \(suppressed) held back" : "quiet")
        }
        #expect(verdicts == ["log, 0 held back", "quiet", "quiet", "log, 2 held back", "log, 0 held back"])
    }
}
