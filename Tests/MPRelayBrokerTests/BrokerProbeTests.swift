import Dispatch
import Foundation
import MPRelayBroker
import MPRelayCommon
import Testing

/// The watchdog's probe comes back from a running broker, again and again: through a poller
/// thread, the probe's queue and every endpoint's queue. (That it does not come back from wedged
/// poller threads is proved under systemd, in Tests/systemd: wedging the process's one poller here
/// would wedge every other test.)
@Suite("Broker probe")
struct BrokerProbeTests {
    @Test func aProbeComesBackEachTime() async throws {
        let broker = BrokerFixture.broker(address: .unixAbstract("mprelay-probe-\(UUID().uuidString)"), key: Array("probe".utf8))
        try broker.start()
        for _ in 0..<3 {
            let back = DispatchSemaphore(value: 0)
            try broker.probe { back.signal() }
            #expect(back.wait(timeout: .now() + 5) == .success)
        }
        await withCheckedContinuation { continuation in broker.shutdown { continuation.resume() } }
    }
}
