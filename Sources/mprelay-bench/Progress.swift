import Glibc
import MPRelayPOSIX

/// Progress lines on stderr, so stdout carries only the summary (or the JSON).
struct Progress: Sendable {
    /// False with `--quiet`.
    let enabled: Bool

    /// Writes one line to stderr, unless quiet.
    func note(_ line: String) {
        guard enabled else { return }
        Self.writeLine(line)
    }

    /// Writes one line to stderr whatever the setting: warnings and failures.
    static func writeLine(_ line: String) {
        DescriptorWrite.standardError("mprelay-bench: " + line)
    }
}
