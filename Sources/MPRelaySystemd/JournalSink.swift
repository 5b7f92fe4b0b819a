import CSystemd
import Glibc

/// Writes structured entries to the systemd journal (sd_journal_send(3)).
///
/// Each entry has `MESSAGE=`, `PRIORITY=`, `SYSLOG_IDENTIFIER=mprelayd`, and, when known,
/// `MPRELAY_CONNECTION=`, `MPRELAY_PEER=`, `MPRELAY_PRINCIPAL=` and the code location, so
/// `journalctl -u mprelay MPRELAY_PEER=worker-1` finds one peer's lines. The sink keeps no state
/// (libsystemd opens its socket once, thread-safely) and may be used from any thread.
///
/// libsystemd drops entries silently when journald is not running: choose the journal only when
/// ``isAvailable`` says journald listens, and keep stderr otherwise.
public struct JournalSink: Sendable {
    /// Where journald receives native-protocol entries (sd_journal_sendv(3) always sends here).
    public static let socketPath = "/run/systemd/journal/socket"

    /// Creates a sink; nothing is opened until the first entry.
    public init() {}

    /// Whether journald's socket exists, i.e. whether entries will be kept rather than dropped.
    public static var isAvailable: Bool {
        var info = stat()
        return stat(socketPath, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
    }

    /// Writes one entry.
    ///
    /// - Parameters:
    ///   - message: the text; newlines are kept (the journal stores them).
    ///   - priority: the `PRIORITY=` field.
    ///   - connection: `MPRELAY_CONNECTION=`, the connection number; `nil` or empty leaves it out.
    ///   - peer: `MPRELAY_PEER=`, the registered peer name.
    ///   - principal: `MPRELAY_PRINCIPAL=`, who the peer authenticated as.
    ///   - file: `CODE_FILE=`.
    ///   - line: `CODE_LINE=`.
    ///   - function: `CODE_FUNC=`.
    /// - Throws: ``SystemdError/journalFailed`` when journald refuses the entry (it is too large
    ///   for the socket buffer, or journald is overloaded). Without journald at all, nothing is
    ///   thrown and the entry is lost: see ``isAvailable``.
    public func send(
        _ message: String,
        priority: JournalPriority,
        connection: String? = nil,
        peer: String? = nil,
        principal: String? = nil,
        file: String? = nil,
        line: Int? = nil,
        function: String? = nil
    ) throws(SystemdError) {
        let result = message.withCString { message in
            withOptionalCString(connection) { connection in
                withOptionalCString(peer) { peer in
                    withOptionalCString(principal) { principal in
                        withOptionalCString(file) { file in
                            withOptionalCString(function) { function in
                                mprelay_journal_send(
                                    message, priority.rawValue, connection, peer, principal,
                                    file, Int32(clamping: line ?? 0), function
                                )
                            }
                        }
                    }
                }
            }
        }
        if result < 0 { throw SystemdError.journalFailed(errno: -result) }
    }

    /// Whether `fileDescriptor` (stderr by default) is the journal stream systemd connected it to:
    /// `JOURNAL_STREAM=device:inode` (systemd.exec(5)) matches its `fstat`.
    ///
    /// When it is, lines written to stderr already reach the journal, but as plain text; the
    /// journal sink adds priority and per-peer fields. When it is not (stderr redirected, or
    /// mprelayd run by hand), stderr is what the operator watches.
    ///
    /// - Parameters:
    ///   - environment: the process environment, for `JOURNAL_STREAM`.
    ///   - fileDescriptor: the descriptor to compare, stderr (2) unless told.
    public static func isJournalStream(environment: [String: String], fileDescriptor: Int32 = 2) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fileDescriptor, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}

/// Calls `body` with a C string for `text`, or `nil` when `text` is `nil`.
private func withOptionalCString<Result>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
