import Dispatch
import Glibc
import Logging
import MPRelayBroker
import MPRelaySystemd
import Synchronization

extension Daemon {
    /// The one-line summary `systemctl status` shows.
    func statusLine() -> String {
        let relayed = broker.statistics.messagesRelayed
        return "\(broker.listeningAddresses.count) endpoint(s), \(broker.peerCount) peer(s), "
            + "\(broker.connectionCount) connection(s), \(relayed) message(s) relayed"
    }

    /// Sends a notification; a failure is logged, never fatal.
    func notify(_ send: (SystemdNotifier) throws -> Bool) {
        do {
            _ = try send(notifier)
        } catch {
            logger.warning("systemd notification failed: \(error)")
        }
    }

    /// Under systemd: STATUS= at most once a second when it changed, and, when the unit sets
    /// `WatchdogSec=`, WATCHDOG=1 at half the interval, sent only after a probe went the way a
    /// message goes (a poller thread, a connection-style queue) and through every endpoint's queue
    /// and the broker's locks, so a wedged relay stops petting the watchdog.
    func startSystemdTimers(on queue: DispatchQueue) -> [any DispatchSourceTimer] {
        guard notifier.isEnabled else { return [] }
        var timers: [any DispatchSourceTimer] = []
        let lastStatus = Mutex("")
        let status = DispatchSource.makeTimerSource(queue: queue)
        status.schedule(deadline: .now() + 1, repeating: 1)
        status.setEventHandler { [self] in
            let line = statusLine()
            guard lastStatus.withLock({ last in defer { last = line }; return last != line }) else { return }
            notify { try $0.status(line) }
        }
        status.activate()
        timers.append(status)
        if let interval = notifier.watchdogInterval {
            let half = (Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18) / 2
            let probing = Mutex(false)
            let watchdog = DispatchSource.makeTimerSource(queue: queue)
            watchdog.schedule(deadline: .now(), repeating: half)
            watchdog.setEventHandler { [self] in
                guard probing.withLock({ busy in defer { busy = true }; return !busy }) else { return }
                do {
                    try broker.probe { [self] in
                        probing.withLock { $0 = false }
                        notify { try $0.watchdog() }
                    }
                } catch {
                    probing.withLock { $0 = false }
                    logger.error("watchdog probe not sent, WATCHDOG=1 withheld: \(error)")
                }
            }
            watchdog.activate()
            timers.append(watchdog)
            logger.info("systemd watchdog enabled: a probe every \(half) s")
        }
        return timers
    }

    /// While a shutdown drains, asks systemd for more time (`EXTEND_TIMEOUT_USEC=`) every
    /// ``extensionInterval`` seconds, each time for the drain's remaining time plus a margin and
    /// at most twice the interval, so that a `drain_timeout` longer than the unit's
    /// `TimeoutStopSec=` is honoured, and a daemon stuck past its drain is still killed.
    func extendStopTimeout(until drainEnd: DispatchTime) {
        guard notifier.isEnabled else { return }
        let now = DispatchTime.now()
        guard now < drainEnd else { return }
        let remaining = Double(drainEnd.uptimeNanoseconds - now.uptimeNanoseconds) / 1e9
        let margin = 5.0
        notify { try $0.extendTimeout(by: .milliseconds(Int64(min(remaining + margin, 2 * Self.extensionInterval) * 1000))) }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.extensionInterval) { [self] in
            extendStopTimeout(until: drainEnd)
        }
    }

    /// Seconds between two `EXTEND_TIMEOUT_USEC=` while draining.
    static let extensionInterval = 5.0

    /// Debug builds started with MPRELAY_TEST_WEDGE=1: SIGUSR2 wedges the poller threads so that a test
    /// can watch systemd's watchdog restart it. Release builds have no such switch.
    func testWedgeSource(on queue: DispatchQueue) -> [any DispatchSourceSignal] {
        #if DEBUG
        guard environment["MPRELAY_TEST_WEDGE"] == "1" else { return [] }
        signal(SIGUSR2, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR2, queue: queue)
        source.setEventHandler { [self] in
            logger.warning("SIGUSR2 with MPRELAY_TEST_WEDGE=1: wedging the poller threads for the watchdog test")
            broker.wedgeForTesting()
        }
        source.activate()
        return [source]
        #else
        return []
        #endif
    }
}
