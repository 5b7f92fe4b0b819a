import Glibc
import MPRelayPOSIX

/// Unbuffered writes to stdout and stderr (Glibc's `stdout` and `stderr` globals are not
/// usable in Swift 6 mode), so a `--watch` refresh appears at once.
enum Output {
    /// Writes `text` to stdout as it is.
    static func out(_ text: String) {
        DescriptorWrite.all(text, to: STDOUT_FILENO)
    }

    /// Writes `line` and a newline to stderr.
    static func error(_ line: String) {
        DescriptorWrite.standardError(line)
    }

    /// Whether stdout is a terminal (then `--watch` clears the screen between refreshes).
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
