import MPRelayBroker
import MPRelayControlServer
import NIOPosix

/// Reads the broker's state for the monitoring server, on a thread of its own in the normal
/// scheduling class.
///
/// The monitoring server's thread is in the idle class (``MonitoringExecutor``), which the kernel
/// runs only on a core no other thread wants. Were that thread to take one of the broker's locks
/// (the registry's, the endpoints', the error counters'), a relay thread that needs the same lock
/// could wait for as long as the relay keeps every core busy. Every read that takes a broker lock
/// hops to this thread instead, which does nothing else and holds no lock between reads.
final class RelayStateReader: Sendable {
    /// The reports the reads build.
    let snapshots: RelaySnapshots
    private let thread = NIOThreadPool(numberOfThreads: 1)

    /// A reader of `snapshots`, with its thread started.
    init(snapshots: RelaySnapshots) {
        self.snapshots = snapshots
        thread.start()
    }

    /// The broker whose state the reads take.
    var broker: Broker { snapshots.broker }

    /// Runs `body` on the reader's thread and returns what it built.
    ///
    /// - Throws: `NIOThreadPoolError.ThreadPoolInactive` once the thread pool is shut down, which
    ///   the daemon never does while it serves.
    func read<Value: Sendable>(_ body: @escaping @Sendable (RelaySnapshots) -> Value) async throws -> Value {
        try await thread.runIfActive { [snapshots] in body(snapshots) }
    }

    /// Starts `body` on the reader's thread without waiting for it; `body` is told whether it ran
    /// (false once the thread pool is shut down).
    func start(_ body: @escaping @Sendable (_ active: Bool) -> Void) {
        thread.submit { state in body(state == .active) }
    }
}
