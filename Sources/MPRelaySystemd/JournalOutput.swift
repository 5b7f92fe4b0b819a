public import MPRelayLogging
import Glibc
import MPRelayCommon
import MPRelayPOSIX

/// The log output for `log_target = "journal"`: a ``LogOutput`` whose writer sends each line
/// to the systemd journal as a structured entry, so that a journald that does not read never
/// stalls the thread that logs. The daemon's ``MultiprocessingLogHandler`` writes through it as
/// it writes through the stderr output.
///
/// `MESSAGE=` is the same `[LEVEL/processName] message` text stderr shows, so
/// `journalctl -u mprelay` reads the same either way; the entry adds `PRIORITY=`
/// (``JournalPriority``), and `MPRELAY_CONNECTION=`, `MPRELAY_PEER=`, `MPRELAY_PRINCIPAL=` from
/// the logger metadata keys ``LogRecord/connectionKey``, ``LogRecord/peerKey`` and
/// ``LogRecord/principalKey``. If journald refuses an entry the line goes to stderr instead. Use
/// it only when ``JournalSink/isAvailable``: without journald, libsystemd drops entries silently.
public enum JournalOutput {
    /// An output whose writer sends each record to the journal through `sink`, or writes it to
    /// stderr when journald refuses it.
    public static func make(sink: JournalSink = JournalSink(), capacity: Int = 1 << 20) -> LogOutput {
        LogOutput(capacity: capacity) { records in
            for record in records {
                do {
                    try sink.send(
                        String(record.formatted.dropLast()),
                        priority: JournalPriority(record.level),
                        connection: record.connection,
                        peer: record.peer,
                        principal: record.principal,
                        file: record.file,
                        line: record.line,
                        function: record.function
                    )
                } catch {
                    DescriptorWrite.all(record.formatted, to: STDERR_FILENO)
                }
            }
        }
    }
}
