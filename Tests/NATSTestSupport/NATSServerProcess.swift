import Foundation
public import Glibc
import Synchronization

/// One nats-server started by the tests on 127.0.0.1, stopped by its PID.
public final class NATSServerProcess: @unchecked Sendable {
    // Mutated only by the serialized cluster suites, one test at a time.
    /// The server's name (`-n`).
    public let name: String
    /// Its client port on 127.0.0.1.
    public let port: Int
    /// Its whole command line after the binary.
    public let arguments: [String]
    /// Its process id while it runs, else 0.
    public private(set) var pid: pid_t = 0

    /// The nats-server binary: `$NATS_SERVER`, else the first on `PATH`.
    public static let binary: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["NATS_SERVER"] { return explicit }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/nats-server"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }()

    /// A server named `name` on `port`, not started yet.
    public init(name: String, port: Int, arguments: [String]) {
        self.name = name
        self.port = port
        self.arguments = ["-a", "127.0.0.1", "-p", String(port), "-n", name] + arguments
    }

    /// `nats://127.0.0.1:<port>`.
    public var url: String { "nats://127.0.0.1:\(port)" }

    /// Starts the server and waits until its client port accepts connections.
    public func start() throws {
        guard let binary = Self.binary else { throw FixtureError("nats-server is not installed (apt-get install nats-server, or set NATS_SERVER)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        pid = process.processIdentifier
        NATSServerProcess.cleanup.withLock { _ = $0.pids.insert(pid) }
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port) {
            guard Date() < deadline else { throw FixtureError("nats-server \(name) did not listen on port \(port) within 10 s") }
            usleep(20_000)
        }
    }

    /// Sends `signal` to the server and, unless it only pauses it, reaps it.
    public func stop(signal: Int32 = SIGTERM) {
        guard pid > 0 else { return }
        kill(pid, signal)
        guard signal != SIGSTOP, signal != SIGCONT else { return }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let stopped = pid
        NATSServerProcess.cleanup.withLock { _ = $0.pids.remove(stopped) }
        pid = 0
    }

    /// Every server started and not yet stopped, killed when the test process exits, and the
    /// temporary folders, removed then.
    private static let cleanup: Mutex<(pids: Set<pid_t>, directories: [String])> = {
        atexit {
            let (pids, directories) = NATSServerProcess.cleanup.withLock { ($0.pids, $0.directories) }
            for pid in pids {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
        }
        return Mutex(([], []))
    }()

    /// A new folder under the system's temporary directory, removed at exit.
    public static func temporaryDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "mprelay-nats-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        cleanup.withLock { $0.directories.append(directory) }
        return directory
    }

    /// Whether something accepts TCP connections on `port` of 127.0.0.1.
    public static func accepts(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A port nobody listens on now.
    public static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(descriptor, $0, length)
                _ = getsockname(descriptor, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A fixture that could not be set up.
public struct FixtureError: Error, CustomStringConvertible {
    /// What failed.
    public let description: String
    /// A failure described by `description`.
    public init(_ description: String) { self.description = description }
}
