import Dispatch
import Foundation
import Glibc
import MPRelayNATS
import NATSTestSupport
import Testing

extension NATSClusterTests {
    /// A single server of its own, with a token, so that it can be stopped without the cluster.
    @Suite("NATSConnection: no server up, a silent server")
    struct OutageTests {
        let server: NATSServerProcess
        let queue = DispatchQueue(label: "test.outage")

        init() throws {
            server = NATSServerProcess(name: "solo", port: NATSServerProcess.freePort(), arguments: ["--auth", "solo-token"])
            try server.start()
        }

        private func options(events: Collector<NATSConnectionEvent>) throws -> NATSConnectionOptions {
            var options = try NATSConnectionOptions(urls: [server.url])
            options.credentials = .token("solo-token")
            options.reconnectWait = .milliseconds(50)
            options.connectTimeout = .milliseconds(500)
            options.onEvent = { events.append($0) }
            return options
        }

        @Test("publications are held up to the bound while no server is up, then sent in order")
        func pendingBuffer() throws {
            defer { server.stop() }
            let events = Collector<NATSConnectionEvent>()
            var options = try options(events: events)
            options.maxPendingBytes = 1000
            let connection = try NATSConnection(options: options)
            defer { connection.close() }
            let received = Collector<NATSMessage>()
            _ = try connection.subscribe(to: "held", on: queue) { received.append($0) }
            try connection.flush()
            server.stop(signal: SIGKILL)
            events.wait { $0.contains { if case .disconnected = $0 { return true } else { return false } } }
            #expect(throws: NATSError.disconnected) { try connection.flush() }
            // "PUB held 100\r\n" + 100 bytes + "\r\n" = 116 bytes: 8 fit in 1000, the 9th does not.
            for index in 0..<8 { try connection.publish("held", payload: [UInt8](repeating: UInt8(index), count: 100)) }
            #expect(throws: NATSError.pendingBufferFull(limit: 1000)) {
                try connection.publish("held", payload: [UInt8](repeating: 9, count: 100))
            }
            try server.start()
            let messages = received.wait(count: 8)
            #expect(messages.map { $0.payload[0] } == Array(0..<8))
            #expect(events.all.contains { if case .reconnected = $0 { return true } else { return false } })
            #expect(throws: Never.self) { try connection.publish("held", payload: [UInt8](repeating: 9, count: 900)) }
        }

        @Test("a server that stops answering is left after the outstanding PINGs")
        func stalePings() throws {
            defer { server.stop(signal: SIGCONT); server.stop() }
            let events = Collector<NATSConnectionEvent>()
            var options = try options(events: events)
            options.pingInterval = .milliseconds(100)
            options.maxOutstandingPings = 2
            let connection = try NATSConnection(options: options)
            defer { connection.close() }
            server.stop(signal: SIGSTOP)
            let seen = events.wait(timeout: 5) { $0.contains { if case .disconnected = $0 { return true } else { return false } } }
            #expect(seen.contains(.disconnected(try NATSServerAddress(server.url), reason: "2 PINGs went unanswered")))
        }

        @Test("a wrong token is refused")
        func wrongToken() throws {
            defer { server.stop() }
            var options = try options(events: Collector())
            options.credentials = .token("nope")
            #expect {
                try NATSConnection(options: options)
            } throws: { "\($0)".contains("Authorization Violation") }
        }
    }
}
