import Dispatch
import Glibc
import MPRelayCommon
import MPRelayPOSIX
import Synchronization

/// Log records on their way out (stderr, or the journal) through a bounded buffer drained by one
/// writer thread, so that no thread that logs, relay threads included, ever blocks on a reader
/// that does not read (a wedged journald, a pipe nobody empties).
///
/// When the buffer is full a record is dropped and counted, never waited for: ``droppedRecords``
/// for this output, ``droppedInProcess`` for the `mprelay_log_lines_dropped_total` metric. Once
/// the writer gets through again it writes one warning saying how many were dropped.
public final class LogOutput: Sendable {
    private struct State {
        var records: [LogRecord] = []
        var bytes = 0
        /// Records dropped since the last warning about it.
        var unreported = 0
        /// Whether the writer holds records it has taken and not yet written.
        var writing = false
    }

    private let capacity: Int
    private let sink: @Sendable ([LogRecord]) -> Void
    private let state = Mutex(State())
    private let work = DispatchSemaphore(value: 0)
    private let dropped = Atomic<Int>(0)
    private static let droppedEverywhere = Atomic<Int>(0)

    /// Records dropped by every output of this process.
    public static var droppedInProcess: Int { droppedEverywhere.load(ordering: .relaxed) }

    /// Records this output dropped because its buffer was full.
    public var droppedRecords: Int { dropped.load(ordering: .relaxed) }

    /// Starts the writer thread.
    ///
    /// - Parameters:
    ///   - capacity: the bytes of messages the buffer holds before it drops records.
    ///   - sink: writes records in order, on the writer thread; it may block.
    public init(capacity: Int = 1 << 20, sink: @escaping @Sendable ([LogRecord]) -> Void) {
        self.capacity = capacity
        self.sink = sink
        ServiceThread.start(name: "mprelay-log") { [self] in run() }
    }

    /// An output that writes formatted lines to `fd` (stderr, for the daemon), many per `write`.
    public static func descriptor(_ fd: Int32, capacity: Int = 1 << 20) -> LogOutput {
        LogOutput(capacity: capacity) { records in
            DescriptorWrite.all(records.map(\.formatted).joined(), to: fd)
        }
    }

    /// Queues `record`, or drops and counts it when the buffer is full. Never blocks on the
    /// writer's reader.
    public func append(_ record: LogRecord) {
        let size = record.message.utf8.count
        let wake: Bool? = state.withLock { state in
            guard state.bytes + size <= capacity || state.records.isEmpty else {
                state.unreported += 1
                return nil
            }
            state.records.append(record)
            state.bytes += size
            return state.records.count == 1
        }
        switch wake {
        case nil:
            dropped.add(1, ordering: .relaxed)
            Self.droppedEverywhere.add(1, ordering: .relaxed)
        case true?:
            work.signal()
        case false?:
            break
        }
    }

    /// Waits until every record queued so far is written, for at most `seconds`: before the
    /// process exits. Returns whether it all went out.
    @discardableResult
    public func flush(within seconds: Double) -> Bool {
        let deadline = DispatchTime.now() + seconds
        while DispatchTime.now() < deadline {
            if state.withLock({ $0.records.isEmpty && !$0.writing }) { return true }
            usleep(1_000)
        }
        return false
    }

    private func run() {
        while true {
            work.wait()
            let (records, unreported) = state.withLock { state in
                defer {
                    state.records = []
                    state.bytes = 0
                    state.unreported = 0
                    state.writing = true
                }
                return (state.records, state.unreported)
            }
            sink(records)
            if unreported > 0 {
                let plural = unreported == 1 ? "line was" : "lines were"
                sink([LogRecord(level: .warning, message: "\(unreported) log \(plural) dropped: the log output did not keep up")])
            }
            state.withLock { $0.writing = false }
        }
    }
}
