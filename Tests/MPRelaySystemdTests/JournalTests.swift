import Glibc
import Logging
import MPRelayCommon
import MPRelayLogging
import MPRelaySystemd
import Testing

@Suite
struct JournalPriorityTests {
    @Test(arguments: [
        (LogLevel.subdebug, JournalPriority.debug),
        (.debug, .debug),
        (.info, .info),
        (.subwarning, .notice),
        (.warning, .warning),
        (.error, .error),
        (.critical, .critical),
    ])
    func levelsMapToSyslogPriorities(level: LogLevel, priority: JournalPriority) {
        #expect(JournalPriority(level) == priority)
    }

    @Test func prioritiesAreSyslogNumbers() {
        #expect(JournalPriority.allCases.map(\.rawValue) == Array(0...7))
    }
}

@Suite
struct JournalStreamTests {
    private func pipeIdentity() throws -> (fds: [Int32], identity: String) {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        var info = stat()
        try #require(fstat(fds[1], &info) == 0)
        return (fds, "\(info.st_dev):\(info.st_ino)")
    }

    @Test func matchingDeviceAndInodeIsTheJournalStream() throws {
        let (fds, identity) = try pipeIdentity()
        defer { fds.forEach { close($0) } }
        #expect(JournalSink.isJournalStream(environment: ["JOURNAL_STREAM": identity], fileDescriptor: fds[1]))
    }

    @Test func anotherDescriptorIsNot() throws {
        let (fds, identity) = try pipeIdentity()
        let (others, _) = try pipeIdentity()
        defer { (fds + others).forEach { close($0) } }
        #expect(!JournalSink.isJournalStream(environment: ["JOURNAL_STREAM": identity], fileDescriptor: others[1]))
    }

    @Test(arguments: ["", "12", "12:", ":34", "a:b", "1:2:3", "-1:5"])
    func malformedValuesAreNot(value: String) throws {
        let (fds, _) = try pipeIdentity()
        defer { fds.forEach { close($0) } }
        #expect(!JournalSink.isJournalStream(environment: ["JOURNAL_STREAM": value], fileDescriptor: fds[1]))
    }

    @Test func noVariableIsNot() {
        #expect(!JournalSink.isJournalStream(environment: [:]))
    }
}

@Suite
struct JournalSinkTests {
    @Test func availabilityIsWhetherJournaldsSocketExists() {
        var info = stat()
        let listening = stat("/run/systemd/journal/socket", &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
        #expect(JournalSink.isAvailable == listening)
        #expect(JournalSink.socketPath == "/run/systemd/journal/socket")
    }

    @Test(.enabled(if: !JournalSink.isAvailable, "journald runs here; the entry would be kept"))
    func sendingWithoutJournaldIsNotAnError() throws {
        // libsystemd drops the entry when journald is absent, rather than failing.
        try JournalSink().send("mprelay unit test entry", priority: .debug, peer: "worker-1")
    }

    /// Run by Tests/systemd inside a booted systemd with `MPRELAY_TEST_JOURNAL_MARK=TOKEN`; the
    /// script then reads the entries back with journalctl and checks every field.
    @Test(.enabled(if: getenv("MPRELAY_TEST_JOURNAL_MARK") != nil, "only where Tests/systemd reads the journal back"))
    func entriesReachJournaldWithTheirFields() throws {
        let mark = String(cString: try #require(getenv("MPRELAY_TEST_JOURNAL_MARK")))
        try JournalSink().send(
            "sink \(mark)\nsecond line",
            priority: .warning,
            connection: "7",
            peer: "worker-1",
            principal: "",
            file: "JournalTests.swift",
            line: 42,
            function: "entriesReachJournaldWithTheirFields()"
        )
        let output = JournalOutput.make()
        var logger = Logger(label: "mprelayd") { _ in MultiprocessingLogHandler(control: LogLevelControl(.debug), output: output) }
        logger[metadataKey: MultiprocessingLogHandler.processNameKey] = "Connection-7"
        logger[metadataKey: LogRecord.connectionKey] = "7"
        logger[metadataKey: LogRecord.peerKey] = "worker-1"
        logger.error("handler \(mark)")
        logger.trace("dropped \(mark)")
        #expect(output.flush(within: 5))
    }
}
