import Foundation
import Glibc
import MPRelayBroker
import MPRelayClient
import MPRelayCommon
import MPRelayProtocol
import Testing

/// Sockets systemd passes: every socket of one name is served (a unit may list several
/// `ListenStream=` lines under one `FileDescriptorName=`), not just the first.
@Suite("Broker socket activation")
struct BrokerSocketActivationTests {
    private static let key = Array("activation-tests".utf8)

    /// A listening abstract AF_UNIX socket, as systemd would pass it.
    private func listening(_ name: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = [UInt8(0)] + Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        try #require(bound == 0 && listen(fd, 16) == 0)
        return fd
    }

    @Test func everySocketOfANameIsServed() async throws {
        let names = (0..<2).map { _ in "mprelay-activation-\(UUID().uuidString)" }
        let fds = try names.map(listening)
        let broker = BrokerFixture.broker(address: .systemdSocket("relay"), key: Self.key, inheritedSockets: ["relay": fds])
        #expect(try broker.start().count == 2)
        let first = try RelayClient(connectingTo: .unixAbstract(names[0]), authkey: Self.key, name: "on-first")
        let second = try RelayClient(connectingTo: .unixAbstract(names[1]), authkey: Self.key, name: "on-second")
        Array("hello".utf8).withUnsafeBytes { first.send($0, to: "on-second", correlationID: 7) }
        try first.flush()
        guard case .deliver(let message) = try second.receive() else {
            Issue.record("expected DELIVER on the second socket's client")
            return
        }
        #expect(message.peer == "on-first")
        #expect(message.payload == Array("hello".utf8))
        await withCheckedContinuation { continuation in broker.shutdown { continuation.resume() } }
        for fd in fds { close(fd) }
    }
}
