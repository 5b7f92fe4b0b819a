import Dispatch
import Glibc
import MPRelayPOSIX
import Synchronization
import Testing

/// Signals delivered to the no-op handler, so a test knows the reading thread was interrupted.
private let interruptions = Atomic<Int>(0)

/// A blocking call that a signal interrupts is retried by the wrapper: the caller sees the bytes
/// that arrive afterwards, never `EINTR`.
@Suite(.serialized)
struct InterruptedCallTests {
    /// Installs a no-op SIGUSR1 handler without `SA_RESTART`, so a blocked `read` fails with
    /// `EINTR` when the signal arrives; returns the previous action.
    static func installInterruptingHandler() -> sigaction {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptions.add(1, ordering: .relaxed) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        var previous = sigaction()
        precondition(sigaction(SIGUSR1, &action, &previous) == 0)
        return previous
    }

    /// Runs `read` on this thread while another thread sends it `signals` SIGUSR1s, 20 ms
    /// apart, then writes "ok" into the pipe `read` reads from.
    static func readWhileSignalled<Result>(signals: Int, _ read: (Int32) throws -> Result) rethrows -> Result {
        var previous = installInterruptingHandler()
        defer { sigaction(SIGUSR1, &previous, nil) }
        // The test runs on a Dispatch worker thread, which blocks every signal: let SIGUSR1 in.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGUSR1)
        var mask = sigset_t()
        precondition(pthread_sigmask(SIG_UNBLOCK, &unblocked, &mask) == 0)
        defer { pthread_sigmask(SIG_SETMASK, &mask, nil) }
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        defer { SystemCall.close(fds[0]); SystemCall.close(fds[1]) }
        let reader = pthread_self()
        let writer = fds[1]
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for _ in 0..<signals {
                usleep(20_000)
                pthread_kill(reader, SIGUSR1)
            }
            usleep(20_000)
            DescriptorWrite.all("ok", to: writer)
            done.signal()
        }
        defer { done.wait() }
        return try read(fds[0])
    }

    /// The setup really interrupts: the bare call fails with EINTR.
    @Test func bareReadIsInterrupted() {
        let before = interruptions.load(ordering: .relaxed)
        let (count, code) = Self.readWhileSignalled(signals: 1) { fd in
            var buffer = [UInt8](repeating: 0, count: 8)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            return (count, errno)
        }
        #expect(count == -1)
        #expect(code == EINTR)
        #expect(interruptions.load(ordering: .relaxed) == before + 1)
    }

    /// The wrapper retries: five interruptions later, the bytes arrive.
    @Test func wrappedReadIsRetried() throws {
        let before = interruptions.load(ordering: .relaxed)
        let received = try Self.readWhileSignalled(signals: 5) { fd in
            var buffer = [UInt8](repeating: 0, count: 8)
            let count = try buffer.withUnsafeMutableBytes { try SystemCall.read(fd, into: $0) }
            return Array(buffer[..<(count ?? 0)])
        }
        #expect(received == Array("ok".utf8))
        #expect(interruptions.load(ordering: .relaxed) == before + 5)
    }
}
