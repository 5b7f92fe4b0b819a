import Foundation
import MPRelayBroker
import MPRelayClient
import MPRelayCommon
import MPRelayConfig
import MPRelayProtocol
import Testing

/// The broker in this process, on real sockets, driven by real clients from several threads:
/// the suite the sanitizers run over the concurrent relay path.
@Suite("Broker relay", .serialized)
struct BrokerRelayTests {
    private static let key = Array("broker-tests".utf8)

    private func startBroker(_ adjust: (inout BrokerConfig) -> Void = { _ in }) throws -> (Broker, EndpointAddress) {
        let address = EndpointAddress.unixAbstract("mprelay-tests-\(UUID().uuidString)")
        let relay = BrokerFixture.broker(address: address, key: Self.key, adjust)
        try relay.start()
        return (relay, address)
    }

    private func stop(_ broker: Broker) async {
        await withCheckedContinuation { continuation in broker.shutdown { continuation.resume() } }
    }

    @Test func messagesArriveInOrderStampedWithTheSender() async throws {
        let (broker, address) = try startBroker()
        let bob = try RelayClient(connectingTo: address, authkey: Self.key, name: "bob")
        let count = 20_000
        let key = Self.key
        let sender = Thread {
            do {
                let alice = try RelayClient(connectingTo: address, authkey: key, name: "alice")
                for index in 0..<count {
                    withUnsafeBytes(of: UInt32(index).bigEndian) { alice.send($0, to: "bob", correlationID: UInt64(index)) }
                    if alice.queuedByteCount > 65_536 { try alice.flush() }
                }
                try alice.flush()
            } catch {
                Issue.record("sender failed: \(error)")
            }
        }
        sender.start()
        for index in 0..<count {
            guard case .deliver(let message) = try bob.receive() else {
                Issue.record("expected DELIVER")
                return
            }
            #expect(message.peer == "alice")
            #expect(message.correlationID == UInt64(index))
            #expect(message.payload == withUnsafeBytes(of: UInt32(index).bigEndian) { Array($0) })
        }
        #expect(broker.statistics.messagesRelayed == count)
        await stop(broker)
    }

    @Test func smallAndLargeMessagesKeepTheirOrderAndTheirAcks() async throws {
        // Small frames are staged per receiver, large ones go straight into its queue: mixed,
        // they must still arrive in the order sent, each confirmed once.
        let (broker, address) = try startBroker { $0.maxMessageBytes = 1 << 20 }
        let sender = try RelayClient(connectingTo: address, authkey: Self.key, name: "mixer")
        let receiver = try RelayClient(connectingTo: address, authkey: Self.key, name: "sink")
        let sizes = [8, 5_000, 64, 64, 100_000, 8, 2_047, 2_048, 16, 300_000, 1]
        let count = 300
        for index in 0..<count {
            let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: sizes[index % sizes.count])
            payload.withUnsafeBytes { sender.send($0, to: "sink", correlationID: UInt64(index), options: .confirm) }
            if sender.queuedByteCount > 1 << 20 { try sender.flush() }
        }
        try sender.flush()
        var acknowledged: [UInt64] = []
        while acknowledged.count < count {
            guard case .ack(let id) = try sender.receive() else {
                Issue.record("expected ACK")
                return
            }
            acknowledged.append(id)
        }
        #expect(acknowledged == (0..<count).map(UInt64.init))
        for index in 0..<count {
            guard case .deliver(let message) = try receiver.receive() else {
                Issue.record("expected DELIVER")
                return
            }
            #expect(message.correlationID == UInt64(index))
            #expect(message.payload.count == sizes[index % sizes.count])
            #expect(message.payload.allSatisfy { $0 == UInt8(truncatingIfNeeded: index) })
        }
        await stop(broker)
    }

    /// A message and the close right behind it often reach the socket together, in one event: the
    /// message is relayed and the close seen, so the name is free again at once.
    @Test func aMessageAndTheCloseBehindItAreBothSeen() async throws {
        let (broker, address) = try startBroker()
        let receiver = try RelayClient(connectingTo: address, authkey: Self.key, name: "sink")
        for round in 0..<50 {
            do {
                let leaver = try RelayClient(connectingTo: address, authkey: Self.key, name: "leaver")
                Array("last words".utf8).withUnsafeBytes { leaver.send($0, to: "sink", correlationID: UInt64(round + 1)) }
                try leaver.flush()
            }
            guard case .deliver(let message) = try receiver.receive() else {
                Issue.record("expected DELIVER")
                return
            }
            #expect(message.correlationID == UInt64(round + 1))
            let deadline = ContinuousClock.now + .seconds(5)
            while broker.peer(named: "leaver") != nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            try #require(broker.peer(named: "leaver") == nil, "round \(round): the close was not seen")
        }
        await stop(broker)
    }

    @Test func aWrongKeyIsRefused() async throws {
        let (broker, address) = try startBroker()
        #expect {
            try RelayClient(connectingTo: address, authkey: Array("wrong".utf8), name: "mallory")
        } throws: { error in
            (error as? RelayClientError)?.code == .authenticationFailed
        }
        #expect(broker.statistics.authFailures == 1)
        await stop(broker)
    }

    @Test func aFullReceiverQueueAnswersPeerBusyAndNothingIsLost() async throws {
        let (broker, address) = try startBroker { $0.maxOutboundBytes = 65_536; $0.maxMessageBytes = 1024 }
        let sender = try RelayClient(connectingTo: address, authkey: Self.key, name: "sender")
        let receiver = try RelayClient(connectingTo: address, authkey: Self.key, name: "receiver")
        let payload = [UInt8](repeating: 7, count: 1024)
        let sent = 400
        for index in 0..<sent {
            payload.withUnsafeBytes { sender.send($0, to: "receiver", correlationID: UInt64(index + 1), options: .confirm) }
        }
        try sender.flush()
        var acknowledged = 0
        var busy = 0
        while acknowledged + busy < sent {
            switch try sender.receive() {
            case .ack: acknowledged += 1
            case .error(let report):
                #expect(report.code == .peerBusy)
                busy += 1
            case let other: Issue.record("unexpected \(other.kind)")
            }
        }
        #expect(busy > 0)
        var delivered = 0
        while delivered < acknowledged {
            if case .deliver = try receiver.receive() { delivered += 1 }
        }
        #expect(delivered == acknowledged)
        await stop(broker)
    }

    @Test func shutdownSaysGoodbyeAfterQueuedDeliveries() async throws {
        let (broker, address) = try startBroker()
        let alice = try RelayClient(connectingTo: address, authkey: Self.key, name: "alice")
        let bob = try RelayClient(connectingTo: address, authkey: Self.key, name: "bob")
        [UInt8]("last".utf8).withUnsafeBytes { alice.send($0, to: "bob", options: .confirm) }
        try alice.flush()
        guard case .ack = try alice.receive() else {
            Issue.record("expected ACK")
            return
        }
        await stop(broker)
        guard case .deliver(let message) = try bob.receive() else {
            Issue.record("expected the queued DELIVER first")
            return
        }
        #expect(message.payload == Array("last".utf8))
        guard case .goodbye(let reason, _) = try bob.receive() else {
            Issue.record("expected GOODBYE")
            return
        }
        #expect(reason == .shuttingDown)
    }
}
