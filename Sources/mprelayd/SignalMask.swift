import Glibc

/// The signals mprelayd handles through Dispatch signal sources, blocked in every thread.
///
/// On Linux a Dispatch signal source reads its signal from a signalfd and blocks it only in the
/// thread that activates the source. A process-directed signal goes to any thread that does not
/// block it; with the disposition set to ignore (as a source requires), a SIGTERM that the kernel
/// hands to such a thread is simply dropped, and the daemon never shuts down. Blocked in the main
/// thread before any other thread exists, and so in every thread after it, each of these signals
/// stays pending until its source reads it.
enum SignalMask {
    /// SIGTERM, SIGINT, SIGHUP and the debug builds' SIGUSR2.
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR2]

    /// Blocks ``handled`` in the calling thread and every thread it starts from now on. Call first
    /// thing in `main`, before anything starts a thread.
    static func blockHandledSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        let status = pthread_sigmask(SIG_BLOCK, &set, nil)
        precondition(status == 0, "pthread_sigmask failed: \(status)")
    }

    /// Parks the main thread for good. Nothing runs on the main queue, and unlike `dispatchMain`
    /// this leaves the thread's signal mask alone.
    static func parkMainThread() -> Never {
        while true { pause() }
    }
}
