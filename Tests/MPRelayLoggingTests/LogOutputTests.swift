import Dispatch
import Glibc
import MPRelayCommon
import MPRelayLogging
import Synchronization
import Testing

/// The bounded log output on a real pipe: lines go out in order, a reader that does not read
/// never blocks the thread that logs (lines are dropped and counted instead), and once the reader
/// reads again one line says how many were dropped.
@Suite("Log output")
struct LogOutputTests {
    /// A pipe whose write end the output writes to, with a 4 KiB buffer so that it fills fast.
    private final class Pipe: Sendable {
        let read: Int32
        let write: Int32

        init() throws {
            var fds: [Int32] = [0, 0]
            try #require(pipe(&fds) == 0)
            read = fds[0]
            write = fds[1]
            // F_SETPIPE_SZ (1031), which Glibc's module does not export.
            _ = fcntl(write, 1031, 4096)
            _ = fcntl(read, F_SETFL, fcntl(read, F_GETFL) | O_NONBLOCK)
        }

        /// What the pipe holds now.
        func take() -> String {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
                guard count > 0 else { return String(decoding: bytes, as: UTF8.self) }
                bytes += buffer[..<count]
            }
        }

        deinit {
            close(read)
            close(write)
        }
    }

    @Test func linesGoOutInOrderInTheMultiprocessingFormat() throws {
        let pipe = try Pipe()
        let output = LogOutput.descriptor(pipe.write)
        for index in 0..<3 { output.append(LogRecord(level: .info, processName: "Connection-\(index)", message: "line \(index)")) }
        #expect(output.flush(within: 5))
        #expect(pipe.take() == "[INFO/Connection-0] line 0\n[INFO/Connection-1] line 1\n[INFO/Connection-2] line 2\n")
        #expect(output.droppedRecords == 0)
    }

    @Test func oneDroppedLineIsReportedInTheSingular() throws {
        let release = DispatchSemaphore(value: 0)
        let written = Mutex<[String]>([])
        let output = LogOutput(capacity: 1) { records in
            written.withLock { $0 += records.map(\.message) }
            if records.first?.message == "first" { release.wait() }
        }
        output.append(LogRecord(level: .info, message: "first"))
        // The writer holds "first" until released: "second" waits in the buffer, "third" is dropped.
        while written.withLock({ $0.isEmpty }) { usleep(1_000) }
        output.append(LogRecord(level: .info, message: "second"))
        output.append(LogRecord(level: .info, message: "third"))
        release.signal()
        #expect(output.flush(within: 5))
        #expect(written.withLock { $0 } == ["first", "second", "1 log line was dropped: the log output did not keep up"])
        #expect(output.droppedRecords == 1)
    }

    @Test func aReaderThatDoesNotReadCostsLinesNotTheLoggersTime() async throws {
        let pipe = try Pipe()
        let output = LogOutput.descriptor(pipe.write, capacity: 16_384)
        let message = String(repeating: "x", count: 200)
        let started = DispatchTime.now()
        for index in 0..<20_000 { output.append(LogRecord(level: .debug, message: "\(index) \(message)")) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        // 4 MB of lines into a 4 KiB pipe nobody reads: had one append waited, this never returned.
        #expect(seconds < 5)
        let dropped = output.droppedRecords
        #expect(dropped > 10_000)
        #expect(LogOutput.droppedInProcess >= dropped)
        // The reader reads again: what was buffered comes out, then a line with the count (two,
        // when the writer was between batches as the buffer filled), adding up to every drop.
        // A liveness bound, not a speed test: the loop ends as soon as every drop is reported,
        // and the writer thread may wait long for a core while other suites run beside this one.
        var text = ""
        for _ in 0..<3_000 where reportedDrops(in: text) < dropped {
            text += pipe.take()
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(reportedDrops(in: text) == dropped)
        #expect(output.droppedRecords == dropped)
    }

    /// The counts of the "log lines were dropped" warnings in `text` ("1 log line was dropped"
    /// when one was), added up.
    private func reportedDrops(in text: String) -> Int {
        let prefix = "[WARNING/MainProcess] "
        let suffixes = [" log lines were dropped: the log output did not keep up", " log line was dropped: the log output did not keep up"]
        return text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
            .compactMap { line in
                suffixes.first { line.hasSuffix($0) }.flatMap { Int(line.dropFirst(prefix.count).dropLast($0.count)) }
            }
            .reduce(0, +)
    }
}
