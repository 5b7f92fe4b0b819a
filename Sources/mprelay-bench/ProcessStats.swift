import Glibc
import MPRelayPOSIX

/// What `/proc` says about a process: its resident memory and the CPU time it used.
struct ProcessStats {
    /// The process read, usually the daemon's (`--pid`).
    let pid: Int32

    /// `VmRSS` from `/proc/PID/status`, in bytes.
    func residentBytes() throws(BenchError) -> Int {
        try statusField("VmRSS:")
    }

    /// User plus system CPU seconds of every thread, from `/proc/PID/stat`.
    func cpuSeconds() throws(BenchError) -> Double {
        let text = try Self.readFile("/proc/\(pid)/stat")
        // The command name is in parentheses and may contain spaces: fields count from the last ')'.
        guard let close = text.lastIndex(of: ")") else {
            throw BenchError(.setup, "cannot parse /proc/\(pid)/stat")
        }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ')': state is field 3 of the man page; utime and stime are fields 14 and 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError(.setup, "cannot parse the CPU times in /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// This process's own user plus system CPU seconds, every thread included.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private func statusField(_ name: String) throws(BenchError) -> Int {
        let text = try Self.readFile("/proc/\(pid)/status")
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kilobytes = Int(parts[1]) { return kilobytes * 1024 }
        }
        throw BenchError(.setup, "no \(name) line in /proc/\(pid)/status")
    }

    private static func readFile(_ path: String) throws(BenchError) -> String {
        do {
            return String(decoding: try readFileBytes(path, limit: 1 << 20).bytes, as: UTF8.self)
        } catch {
            throw BenchError(.setup, "cannot read \(path): \(error) (is --pid the daemon's process id?)")
        }
    }
}
