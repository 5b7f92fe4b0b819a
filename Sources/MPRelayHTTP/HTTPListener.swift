import Dispatch
import Hummingbird
import HummingbirdCore
import Logging
import MPRelayConfig
import NIOCore
import NIOPosix
import Synchronization

/// One running Hummingbird application on one address: started and stopped synchronously, so
/// that a reload knows at once whether the new address could be bound.
final class HTTPListener: Sendable {
    /// Seconds a connection may stay without a complete request (a slow client, or one that
    /// sends a header a byte at a time) before it is closed.
    static let idleTimeout: TimeAmount = .seconds(10)
    /// Connections served at once; more wait in the kernel's backlog.
    static let maxConnections = 64
    /// The largest request header block; a larger one is refused after reading this much.
    static let maxHeaderBytes = 16_384

    /// The address as configured.
    let address: EndpointAddress
    /// The address as bound, with the real port where the configuration said 0.
    let boundAddress: String
    private let task: Task<Void, Never>
    private let finished: DispatchSemaphore

    /// Binds `address` and serves `responder` on `eventLoopGroup`, with every task on `executor`,
    /// until ``stop()``.
    ///
    /// - Throws: ``MonitoringServerError`` when the address cannot be bound within 10 seconds.
    init(
        address: EndpointAddress,
        responder: MonitoringResponder,
        eventLoopGroup: any EventLoopGroup,
        executor: MonitoringExecutor,
        logger: Logger
    ) throws(MonitoringServerError) {
        let host: String
        let port: Int
        switch address {
        case .inet(let name, let number), .inet6(let name, let number): (host, port) = (name, number)
        case .unixPath, .unixAbstract, .systemdSocket:
            throw MonitoringServerError(address: "\(address)", reason: "not a TCP address")
        }
        let started = StartOutcome()
        let application = Application(
            responder: responder,
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    idleTimeout: Self.idleTimeout,
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: Self.maxHeaderBytes,
                        maxHeaderListSize: Self.maxHeaderBytes,
                        maxHeaderFieldCount: 100
                    )
                )
            ),
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port),
                serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(Self.maxConnections)
            ),
            onServerRunning: { channel in started.report(.success(channel.localAddress.map(Self.describe) ?? "\(address)")) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        let finished = DispatchSemaphore(value: 0)
        let task = Task(executorPreference: executor) {
            do {
                try await application.run()
                started.report(.failure(MonitoringServerError(address: "\(address)", reason: "the server stopped at once")))
            } catch {
                started.report(.failure(MonitoringServerError(address: "\(address)", reason: "\(error)")))
            }
            finished.signal()
        }
        switch started.wait(seconds: 10) {
        case .success(let bound):
            self.address = address
            self.boundAddress = bound
            self.task = task
            self.finished = finished
        case .failure(let error):
            task.cancel()
            throw error
        case nil:
            task.cancel()
            throw MonitoringServerError(address: "\(address)", reason: "the server did not start within 10 seconds")
        }
    }

    /// Closes the listening socket and every connection, and waits (at most 5 seconds) until
    /// the port is free again.
    func stop() {
        task.cancel()
        _ = finished.wait(timeout: .now() + 5)
    }

    /// `127.0.0.1:8222` or `[::1]:8222`.
    private static func describe(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "?"
        let port = address.port ?? 0
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}

/// The first outcome of a start: the bound address, or why it failed.
private final class StartOutcome: Sendable {
    private let outcome = Mutex<Result<String, MonitoringServerError>?>(nil)
    private let reported = DispatchSemaphore(value: 0)

    /// Records `result` unless an outcome was recorded already.
    func report(_ result: Result<String, MonitoringServerError>) {
        let first = outcome.withLock { outcome in
            defer { if outcome == nil { outcome = result } }
            return outcome == nil
        }
        if first { reported.signal() }
    }

    /// The outcome, or nil when none came within `seconds`.
    func wait(seconds: Double) -> Result<String, MonitoringServerError>? {
        guard reported.wait(timeout: .now() + seconds) == .success else { return nil }
        return outcome.withLock { $0 }
    }
}
