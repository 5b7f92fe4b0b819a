import Foundation

/// Checks a configuration file in a child `mprelayd --check-config` before a reload parses it in
/// the running daemon.
///
/// TOMLKit 0.6.0 aborts the process on some malformed TOML instead of reporting a syntax error
/// (docs/SECURITY.md). Parsed in the daemon, such a file would kill a relay that should have
/// refused the reload and kept running; parsed in a child, it only fails the check. The child is
/// bounded: killed after ``timeLimit`` seconds, and only the first ``outputLimit`` bytes of what it
/// prints are kept, so no file makes a reload wait or grow without end.
enum ConfigurationCheck {
    /// Seconds the child may take before it is killed and the reload refused.
    static let timeLimit = 10.0
    /// Bytes of the child's output kept for the reason a reload was refused.
    static let outputLimit = 16_384

    /// Why the child refused the file, or nil when it accepted it.
    static func problem(with path: String, timeLimit: Double = timeLimit) -> String? {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--check-config", "--config", path]
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        do {
            try child.run()
        } catch {
            return "cannot run mprelayd --check-config to check \(path): \(error)"
        }
        let (bytes, finished) = read(output.fileHandleForReading.fileDescriptor, within: timeLimit)
        if !finished { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        guard finished else {
            return "\(path): mprelayd --check-config did not finish within \(timeLimit) s and was killed"
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if child.terminationReason == .uncaughtSignal {
            return "\(path): the TOML parser crashed on this file (signal \(child.terminationStatus)); "
                + "look for a malformed table header, array or date, and check it with mprelayd --check-config"
        }
        return child.terminationStatus == 0 ? nil : (text.isEmpty ? "\(path) was refused by mprelayd --check-config" : text)
    }

    /// Reads `fd` until end of file, keeping at most ``outputLimit`` bytes, for at most `seconds`.
    /// Returns what it kept and whether end of file came in time.
    private static func read(_ fd: Int32, within seconds: Double) -> (bytes: [UInt8], finished: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        var kept: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return (kept, false) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left * 1000, 1000)) + 1)
            if ready < 0 && errno != EINTR { return (kept, true) }
            guard ready > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return (kept, true) }
            kept += chunk[..<min(count, max(outputLimit - kept.count, 0))]
        }
    }
}
