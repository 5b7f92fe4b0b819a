import Glibc
import MPRelaySystemd
import Testing

extension ProcessEnvironmentTests {
    @Suite
    struct SystemdNotifierTests {
        @Test func readySendsReadyAndStatusInOneDatagram() throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                let sent = try SystemdNotifier().ready(status: "listening on 2 endpoints, 0 peers")
                #expect(sent)
            }
            #expect(socket.receive() == "READY=1\nSTATUS=listening on 2 endpoints, 0 peers")
            #expect(!socket.hasPending)
        }

        @Test func readyWithoutStatusSendsOnlyReady() throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try SystemdNotifier().ready() }
            #expect(socket.receive() == "READY=1")
        }

        @Test func statusIsFlattenedToOneLine() throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                // A newline would start a new assignment: "\nREADY=1" must not become one.
                try SystemdNotifier().status("12 peers\nREADY=1\r\nend")
            }
            #expect(socket.receive() == "STATUS=12 peers READY=1 end")
        }

        @Test func reloadingCarriesTheMonotonicClock() throws {
            let socket = try NotifySocket()
            let before = monotonicMicroseconds()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try SystemdNotifier().reloading() }
            let after = monotonicMicroseconds()
            let lines = try #require(socket.receive()).split(separator: "\n").map(String.init)
            try #require(lines.count == 3)
            #expect(lines[0] == "RELOADING=1")
            #expect(lines[2] == "STATUS=reloading the configuration")
            let stamp = try #require(lines[1].hasPrefix("MONOTONIC_USEC=") ? UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)) : nil)
            #expect(stamp >= before && stamp <= after, "MONOTONIC_USEC=\(stamp) is not between \(before) and \(after)")
        }

        @Test func reloadSequenceIsReloadingThenReady() throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                let notifier = SystemdNotifier()
                try notifier.reloading(status: "reloading /etc/mprelay/mprelay.toml")
                try notifier.ready(status: "reloaded: log_level debug")
            }
            #expect(socket.receive()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
            #expect(socket.receive() == "READY=1\nSTATUS=reloaded: log_level debug")
        }

        @Test func stoppingSendsStoppingAndStatus() throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try SystemdNotifier().stopping(status: "draining 3 connections") }
            #expect(socket.receive() == "STOPPING=1\nSTATUS=draining 3 connections")
        }

        @Test func watchdogSendsWatchdog() throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try SystemdNotifier().watchdog() }
            #expect(socket.receive() == "WATCHDOG=1")
        }

        @Test(arguments: [
            (Duration.seconds(30), "EXTEND_TIMEOUT_USEC=30000000"),
            (Duration.milliseconds(1500), "EXTEND_TIMEOUT_USEC=1500000"),
            (Duration.seconds(-1), "EXTEND_TIMEOUT_USEC=0"),
        ])
        func extendTimeoutSendsMicroseconds(duration: Duration, expected: String) throws {
            let socket = try NotifySocket()
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) { try SystemdNotifier().extendTimeout(by: duration) }
            #expect(socket.receive() == expected)
        }

        @Test func withoutNotifySocketEveryCallIsANoOp() throws {
            try withEnvironment(["NOTIFY_SOCKET": nil]) {
                let notifier = SystemdNotifier()
                #expect(!notifier.isEnabled)
                let sent = [
                    try notifier.ready(status: "up"),
                    try notifier.status("up"),
                    try notifier.reloading(),
                    try notifier.stopping(),
                    try notifier.watchdog(),
                ]
                #expect(sent == [false, false, false, false, false])
            }
        }

        @Test func unreachableNotifySocketIsAnErrorNamingTheSocket() throws {
            let missing = "/nonexistent-mprelay-test/notify"
            withEnvironment(["NOTIFY_SOCKET": missing]) {
                #expect(SystemdNotifier().isEnabled)
                let error = #expect(throws: SystemdError.notifyFailed) { try SystemdNotifier().ready() }
                #expect(error?.description.contains("NOTIFY_SOCKET=\(missing)") == true)
                #expect(error?.description.contains("READY=1") == true)
                #expect(error?.errno == ENOENT)
            }
        }
    }

    @Suite
    struct WatchdogIntervalTests {
        @Test func intervalComesFromWatchdogUsecForThisProcess() {
            withEnvironment(["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "\(getpid())"]) {
                #expect(SystemdNotifier().watchdogInterval == .seconds(4))
            }
        }

        @Test func intervalWithoutWatchdogPidStillApplies() {
            withEnvironment(["WATCHDOG_USEC": "250000", "WATCHDOG_PID": nil]) {
                #expect(SystemdNotifier().watchdogInterval == .milliseconds(250))
            }
        }

        @Test func anotherProcessesWatchdogIsNotOurs() {
            withEnvironment(["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "\(getpid() + 1)"]) {
                #expect(SystemdNotifier().watchdogInterval == nil)
            }
        }

        @Test func noWatchdogUsecMeansNoWatchdog() {
            withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                #expect(SystemdNotifier().watchdogInterval == nil)
            }
        }
    }
}
