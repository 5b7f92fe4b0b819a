import CSystemd
import Glibc

/// Tells systemd what the service is doing, through `$NOTIFY_SOCKET` (sd_notify(3)).
///
/// Every call is a no-op returning `false` when `NOTIFY_SOCKET` is unset (mprelayd run by hand,
/// or by a unit that is not `Type=notify`), so the launcher can call it unconditionally. The
/// environment is read at each call; the notifier keeps no state and may be used from any thread.
///
/// The sequence systemd 252 expects from a `Type=notify` service with
/// `ExecReload=kill -HUP $MAINPID`: ``ready(status:)`` once every endpoint listens;
/// ``status(_:)`` whenever the one-line summary changes; on SIGHUP ``reloading()``, then
/// ``ready(status:)`` again whether the new configuration was taken or refused; ``stopping(status:)``
/// when a shutdown begins; and ``watchdog()`` at least twice per ``watchdogInterval``.
public struct SystemdNotifier: Sendable {
    /// Creates a notifier; it sends nothing until called.
    public init() {}

    /// Whether `NOTIFY_SOCKET` is set, i.e. whether notifications go anywhere.
    public var isEnabled: Bool {
        guard let value = getenv("NOTIFY_SOCKET") else { return false }
        return value.pointee != 0
    }

    /// Says the service is up: `READY=1`, with an optional `STATUS=` line.
    ///
    /// Send it once every endpoint listens (`systemctl start` returns then), and again after each
    /// reload, whether the new configuration was applied or refused.
    ///
    /// - Parameter status: the text `systemctl status` shows; newlines become spaces.
    /// - Returns: `true` if systemd was told, `false` if `NOTIFY_SOCKET` is unset.
    /// - Throws: ``SystemdError/notifyFailed`` when the notification socket refuses the datagram.
    @discardableResult
    public func ready(status: String? = nil) throws(SystemdError) -> Bool {
        try send(["READY=1"] + Self.statusLine(status))
    }

    /// Sets the one-line status `systemctl status` shows (`STATUS=`).
    ///
    /// - Parameter text: the status; newlines become spaces.
    /// - Returns: `true` if systemd was told, `false` if `NOTIFY_SOCKET` is unset.
    /// - Throws: ``SystemdError/notifyFailed`` when the notification socket refuses the datagram.
    @discardableResult
    public func status(_ text: String) throws(SystemdError) -> Bool {
        try send(Self.statusLine(text))
    }

    /// Says a reload has begun: `RELOADING=1` with `MONOTONIC_USEC=` (the `CLOCK_MONOTONIC` time
    /// in microseconds, which systemd 253+ uses to tie the notification to the reload it asked
    /// for) and `STATUS=`.
    ///
    /// Call it first thing on SIGHUP, and ``ready(status:)`` when the reload is over. The unit
    /// shows `reloading` in between. With systemd 252's `ExecReload=kill -HUP $MAINPID`,
    /// `systemctl reload` returns once the signal is sent, not when the reload is done.
    ///
    /// - Parameter status: the status shown while reloading.
    /// - Returns: `true` if systemd was told, `false` if `NOTIFY_SOCKET` is unset.
    /// - Throws: ``SystemdError/notifyFailed`` when the notification socket refuses the datagram.
    @discardableResult
    public func reloading(status: String = "reloading the configuration") throws(SystemdError) -> Bool {
        try send(["RELOADING=1", "MONOTONIC_USEC=\(mprelay_monotonic_usec())"] + Self.statusLine(status))
    }

    /// Says a shutdown has begun: `STOPPING=1` with `STATUS=`.
    ///
    /// - Parameter status: the status shown while connections drain.
    /// - Returns: `true` if systemd was told, `false` if `NOTIFY_SOCKET` is unset.
    /// - Throws: ``SystemdError/notifyFailed`` when the notification socket refuses the datagram.
    @discardableResult
    public func stopping(status: String = "draining connections") throws(SystemdError) -> Bool {
        try send(["STOPPING=1"] + Self.statusLine(status))
    }

    /// Keeps the watchdog fed: `WATCHDOG=1`.
    ///
    /// Send it only from a path that proves the relay works (a round trip through the queues
    /// that accept and relay), never from a timer alone, or a wedged relay would still look alive.
    ///
    /// - Returns: `true` if systemd was told, `false` if `NOTIFY_SOCKET` is unset.
    /// - Throws: ``SystemdError/notifyFailed`` when the notification socket refuses the datagram.
    @discardableResult
    public func watchdog() throws(SystemdError) -> Bool {
        try send(["WATCHDOG=1"])
    }

    /// Asks for more time to start, reload or stop: `EXTEND_TIMEOUT_USEC=`, counted from now.
    ///
    /// A drain longer than the unit's `TimeoutStopSec=` should call this, or systemd kills it.
    ///
    /// - Parameter duration: how long from now the current operation may still take.
    /// - Returns: `true` if systemd was told, `false` if `NOTIFY_SOCKET` is unset.
    /// - Throws: ``SystemdError/notifyFailed`` when the notification socket refuses the datagram.
    @discardableResult
    public func extendTimeout(by duration: Duration) throws(SystemdError) -> Bool {
        try send(["EXTEND_TIMEOUT_USEC=\(Self.microseconds(duration))"])
    }

    /// The unit's `WatchdogSec=` as systemd passed it (`WATCHDOG_USEC`, for this process's
    /// `WATCHDOG_PID`), or `nil` when the watchdog is off. Ping at least twice per interval.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    /// Sends `assignments`, one `KEY=value` per line, in one datagram.
    private func send(_ assignments: [String]) throws(SystemdError) -> Bool {
        let state = assignments.joined(separator: "\n")
        let result = sd_notify(0, state)
        if result < 0 { throw SystemdError.notifyFailed(state, errno: -result) }
        return result > 0
    }

    /// `STATUS=text` as a single line, or nothing for `nil`.
    static func statusLine(_ text: String?) -> [String] {
        guard let text else { return [] }
        let oneLine = String(text.map { $0.isNewline || $0 == "\0" ? " " : $0 })
        return ["STATUS=\(oneLine)"]
    }

    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000 &+ UInt64(attoseconds / 1_000_000_000_000)
    }
}
