public import Foundation
import Glibc
public import MPRelayNATS

/// Three nats-servers with JetStream, clustered on 127.0.0.1, with a user and password for
/// clients; their stores live in a temporary folder. ``shared()`` is started once for every suite
/// that uses it; a suite may start a cluster of its own. Killed by PID when the test process exits.
public final class NATSCluster: Sendable {
    /// The user every server accepts.
    public static let user = "mprelay"
    /// That user's password.
    public static let password = "cluster-test-password"

    /// The three servers, in start order.
    public let servers: [NATSServerProcess]
    /// The folder of their stores.
    public let directory: String

    /// The cluster, started on first use. Under `CI=true` a missing nats-server is a failure.
    public static func shared() throws -> NATSCluster {
        try started.get()
    }

    private static let started = Result<NATSCluster, any Error> { try NATSCluster() }

    /// Whether the cluster tests can run: nats-server is installed, or CI wants them to fail.
    public static let enabled: Bool = {
        if NATSServerProcess.binary != nil { return true }
        let ci = ProcessInfo.processInfo.environment["CI"] == "true"
        if !ci {
            let warning = "\n*** MPRelayNATSTests: nats-server not found; the NATS cluster tests are SKIPPED ***\n\n"
            _ = warning.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
        return ci
    }()

    /// Starts three servers and waits until JetStream can place a stream on all of them.
    public init() throws {
        let directory = try NATSServerProcess.temporaryDirectory()
        self.directory = directory
        let clusterPorts = (0..<3).map { _ in NATSServerProcess.freePort() }
        let routes = clusterPorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")
        servers = (0..<3).map { index in
            NATSServerProcess(name: "n\(index + 1)", port: NATSServerProcess.freePort(), arguments: [
                "-js", "-sd", "\(directory)/n\(index + 1)", "--cluster_name", "mprelay-test",
                "--cluster", "nats://127.0.0.1:\(clusterPorts[index])", "--routes", routes,
                "--user", Self.user, "--pass", Self.password,
            ])
        }
        for server in servers { try server.start() }
        try waitForJetStream()
    }

    /// Client options for every server of the cluster, first server first.
    public func options(first index: Int = 0) -> NATSConnectionOptions {
        var urls = servers.map(\.url)
        urls = Array(urls[index...] + urls[..<index])
        var options = try! NATSConnectionOptions(urls: urls)
        options.credentials = .userPassword(user: Self.user, password: Self.password)
        options.connectTimeout = .seconds(1)
        options.reconnectWait = .milliseconds(50)
        return options
    }

    /// Waits until JetStream can place a stream on all three servers: a meta leader exists and
    /// every server has joined (after a restart too). Creates and deletes a probe stream.
    public func waitForJetStream(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        let connection = try NATSConnection(options: options())
        defer { connection.close() }
        let probe = Array(#"{"name":"fixture_probe","subjects":["fixture.probe"],"storage":"memory","num_replicas":3}"#.utf8)
        var last = ""
        while Date() < deadline {
            do {
                let answer = try connection.request("$JS.API.STREAM.CREATE.fixture_probe", payload: probe, timeout: .seconds(2))
                let text = String(decoding: answer.payload, as: UTF8.self)
                if !text.contains("\"error\"") {
                    _ = try connection.request("$JS.API.STREAM.DELETE.fixture_probe", payload: [], timeout: .seconds(2))
                    return
                }
                last = text
            } catch {
                last = "\(error)"
            }
            usleep(100_000)
        }
        throw FixtureError("JetStream cannot place a stream on 3 servers after \(Int(timeout)) s: \(last)")
    }
}
