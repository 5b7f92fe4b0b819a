import Glibc

/// The process's open-file limit, raised so one process can hold thousands of connections.
enum FileLimit {
    /// Raises the soft `RLIMIT_NOFILE` to at least `needed` if the hard limit allows it.
    static func raise(toAtLeast needed: Int) throws(BenchError) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard Int(limit.rlim_cur) < needed else { return }
        guard Int(limit.rlim_max) >= needed else {
            throw BenchError(.usage, "\(needed) file descriptors needed but the hard limit is \(limit.rlim_max): raise it (ulimit -Hn) first")
        }
        limit.rlim_cur = rlim_t(needed)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw BenchError(.setup, "setrlimit(RLIMIT_NOFILE, \(needed)): \(String(cString: strerror(errno)))")
        }
    }
}
