import Foundation

/// Checks a configuration file in a child `mprelayd --check-config` before a reload parses it in
/// the running daemon.
///
/// TOMLKit 0.6.0 aborts the process on some malformed TOML instead of reporting a syntax error
/// (docs/SECURITY.md). Parsed in the daemon, such a file would kill a relay that should have
/// refused the reload and kept running; parsed in a child, it only fails the check.
enum ConfigurationCheck {
    /// Why the child refused the file, or nil when it accepted it.
    static func problem(with path: String) -> String? {
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
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        child.waitUntilExit()
        if child.terminationReason == .uncaughtSignal {
            return "\(path): the TOML parser crashed on this file (signal \(child.terminationStatus)); "
                + "look for a malformed table header, array or date, and check it with mprelayd --check-config"
        }
        return child.terminationStatus == 0 ? nil : (text.isEmpty ? "\(path) was refused by mprelayd --check-config" : text)
    }
}
