import Dispatch
import Foundation
import Logging
import MPRelayBroker
import MPRelayCommon
import MPRelayConfig
import Testing

/// The watchdog's probe comes back from a running broker, again and again: through a poller
/// thread, the probe's queue and every endpoint's queue. (That it does not come back from wedged
/// poller threads is proved under systemd, in Tests/systemd: wedging the process's one poller here
/// would wedge every other test.)
@Suite("Broker probe")
struct BrokerProbeTests {
    @Test func aProbeComesBackEachTime() async throws {
        let configuration = Configuration(
            broker: BrokerConfig(),
            endpoints: [EndpointConfig(address: .unixAbstract("mprelay-probe-\(UUID().uuidString)"),
                                       authkey: Authkey(bytes: Array("probe".utf8), origin: "test"))],
            source: "test"
        )
        let broker = Broker(configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try broker.start()
        for _ in 0..<3 {
            let back = DispatchSemaphore(value: 0)
            try broker.probe { back.signal() }
            #expect(back.wait(timeout: .now() + 5) == .success)
        }
        await withCheckedContinuation { continuation in broker.shutdown { continuation.resume() } }
    }
}
