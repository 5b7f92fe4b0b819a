import Foundation
import Glibc
import Logging
import MPRelayBroker
import MPRelayClient
import MPRelayCommon
import MPRelayConfig
import MPRelayControl
import MPRelayControlServer
import MPRelayLauncher
import MPRelayLogging
import MPRelayProtocol
import Synchronization
import Testing

/// A real broker and control server in this process, driven over the real socket: commands,
/// refusals and the bounds on hostile clients.
@Suite("Control server", .serialized)
final class ControlServerTests {
    private static let key = Array("control-tests".utf8)
    private let directory: String
    private let relayAddress = EndpointAddress.unixAbstract("mprelay-control-tests-\(UUID().uuidString)")
    private let reloads = ReloadLog()
    private let levelControl = LogLevelControl(.info)
    private var broker: Broker?
    private var server: ControlServer?

    init() {
        directory = "/tmp/mpctl-\(UUID().uuidString.prefix(8))"
        mkdir(directory, 0o755)
    }

    deinit {
        server?.stop()
        broker?.shutdown {}
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var socketPath: String { directory + "/control.sock" }

    /// Starts a broker and its control server; `reloadApplies` is what the reload closure answers.
    private func start(reloadApplies: Bool = true, _ adjust: (inout ControlConfig) -> Void = { _ in }) throws {
        var control = ControlConfig()
        control.socket = socketPath
        adjust(&control)
        let configuration = Configuration(
            endpoints: [EndpointConfig(address: relayAddress, authkey: Authkey(bytes: Self.key, origin: "test"))],
            control: control,
            source: "test.toml"
        )
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let broker = Broker(settings: BrokerSettings(configuration), logger: logger)
        try broker.start()
        let reloads = self.reloads
        let server = ControlServer(
            configuration: configuration,
            environment: [:],
            snapshots: RelaySnapshots(broker: broker, levelControl: levelControl, configuration: configuration),
            logger: logger
        ) {
            reloads.answers.withLock { $0.append(reloadApplies) }
            return reloadApplies ? (true, "applied: 1 endpoint(s)") : (false, "rejected: test.toml: broker.max_connections: 0 is out of range")
        }
        try server.start()
        self.broker = broker
        self.server = server
    }

    private func ask<Result: Codable & Sendable>(_ request: ControlRequest, _ type: Result.Type) throws -> ControlAnswer<Result> {
        let connection = try ControlConnection(socketPath: socketPath, timeout: 5)
        return try connection.decode(try connection.send(request), as: type)
    }

    /// A raw client socket, for misbehaving on purpose.
    private func rawClient() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = EndpointAddress.withUnixSocketAddress(Array(socketPath.utf8)) { connect(fd, $0, $1) }
        try #require(connected == 0)
        return fd
    }

    /// Everything `fd` receives until EOF or an error, and whether it ended in EOF or a reset.
    private func readUntilClosed(_ fd: Int32) -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes += chunk[..<count]
                continue
            }
            if count < 0 && errno == EINTR { continue }
            return (String(decoding: bytes, as: UTF8.self), count == 0 || errno == ECONNRESET)
        }
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            offset += count
        }
    }

    @Test func statusReportsTheEndpointsAndTheSocketFileHasItsMode() throws {
        try start { $0.mode = 0o640 }
        let status = try ask(.status, StatusReport.self).get()
        #expect(status.pid == Int(getpid()))
        #expect(status.configuration == "test.toml")
        #expect(status.logLevel == "info")
        #expect(status.endpoints.map(\.state) == [.listening])
        #expect(status.endpoints.first?.address == relayAddress.description)
        var info = stat()
        #expect(stat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o640)
        server?.stop()
        #expect(access(socketPath, F_OK) != 0, "stop() removes the socket file")
    }

    @Test func peersPeerAndKickWithARealClient() throws {
        try start()
        let alpha = try RelayClient(connectingTo: relayAddress, authkey: Self.key, name: "alpha")
        let peers = try ask(.peers, PeerList.self).get().peers
        #expect(peers.map(\.name) == ["alpha"])
        #expect(peers.first?.remote.hasPrefix("pid \(getpid()) uid") == true)
        #expect(try ask(.peer(name: "alpha"), PeerReport.self).get().name == "alpha")
        #expect(try ask(.peer(name: "beta"), PeerReport.self).error?.code == .unknownPeer)
        #expect(try ask(.peer(name: "bad name"), PeerReport.self).error?.code == .invalidArgument)
        #expect(try ask(.kick(name: "beta", reason: nil), KickReport.self).error?.code == .unknownPeer)
        let kicked = try ask(.kick(name: "alpha", reason: "test over"), KickReport.self).get()
        #expect(kicked == KickReport(name: "alpha", reason: "test over"))
        guard case .error(let report) = try alpha.receive() else {
            Issue.record("the kicked client got no ERROR")
            return
        }
        #expect(report.code == .kicked)
        #expect(report.text == "test over")
    }

    @Test func logLevelAndReload() throws {
        try start()
        #expect(try ask(.logLevel(.debug), LogLevelReport.self).get() == LogLevelReport(previous: "info", level: "debug"))
        #expect(levelControl.level == .debug)
        #expect(try ask(.reload, ReloadReport.self).get().summary == "applied: 1 endpoint(s)")
        #expect(reloads.answers.withLock { $0 } == [true])
    }

    @Test func aRejectedReloadIsAFailureWithTheReason() throws {
        try start(reloadApplies: false)
        let failure = try ask(.reload, ReloadReport.self).error
        #expect(failure?.code == .reloadRejected)
        #expect(failure?.message.contains("broker.max_connections") == true)
    }

    @Test func severalRequestsOnOneConnectionAreAnsweredInOrder() throws {
        try start()
        let connection = try ControlConnection(socketPath: socketPath, timeout: 5)
        for _ in 0..<3 {
            #expect(try connection.decode(try connection.send(.peers), as: PeerList.self).ok)
            #expect(try connection.decode(try connection.send(.status), as: StatusReport.self).ok)
        }
    }

    @Test func aLineOverTheLimitIsAnsweredAndClosed() throws {
        try start { $0.maxRequestBytes = 1_024 }
        let fd = try rawClient()
        defer { close(fd) }
        sendAll(fd, [UInt8](repeating: UInt8(ascii: "x"), count: 4_096))
        let (text, closed) = readUntilClosed(fd)
        #expect(text.contains(#""code":"request_too_long""#), "got \(text)")
        #expect(closed)
    }

    @Test func garbageLinesGetBadRequestAndTheConnectionStaysUsable() throws {
        try start()
        let fd = try rawClient()
        defer { close(fd) }
        sendAll(fd, Array("not json\n\n{\"version\":1,\"command\":\"peers\"}\n".utf8))
        shutdown(fd, Int32(SHUT_WR))
        let lines = readUntilClosed(fd).text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""code":"bad_request""#) == true)
        #expect(lines.last?.contains(#""command":"peers","ok":true"#) == true)
    }

    @Test func clientsOverMaxClientsAreRefused() throws {
        try start { $0.maxClients = 1 }
        let first = try rawClient()
        defer { close(first) }
        Thread.sleep(forTimeInterval: 0.1)  // the server has accepted the first
        let second = try rawClient()
        defer { close(second) }
        let (text, closed) = readUntilClosed(second)
        #expect(text.contains(#""code":"too_many_clients""#), "got \(text)")
        #expect(closed)
    }

    @Test func aSilentClientTimesOut() throws {
        try start { $0.clientTimeout = 0.2 }
        let fd = try rawClient()
        defer { close(fd) }
        sendAll(fd, Array("{\"version\":1,".utf8))
        let started = Date()
        let (text, closed) = readUntilClosed(fd)
        #expect(text.contains(#""code":"timeout""#), "got \(text)")
        #expect(closed)
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test func aClientThatNeverReadsIsDropped() throws {
        try start { $0.maxAnswerBytes = 65_536 }
        let fd = try rawClient()
        defer { close(fd) }
        let request = ControlRequest.status.line()
        let count = 5_000
        sendAll(fd, Array(repeating: request, count: count).flatMap { $0 })
        Thread.sleep(forTimeInterval: 1)  // not reading while the server answers
        let (text, closed) = readUntilClosed(fd)
        let answers = text.split(separator: "\n").count
        #expect(closed)
        #expect(answers < count, "all \(count) answers were buffered for a client that did not read")
        // The server still answers others.
        #expect(try ask(.status, StatusReport.self).ok)
    }
}

/// What the reload closure answered, in order.
private final class ReloadLog: Sendable {
    let answers = Mutex<[Bool]>([])
}
