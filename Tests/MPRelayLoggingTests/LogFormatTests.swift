import Glibc
import Logging
import MPRelayCommon
import MPRelayLogging
import Testing

@Suite("Log format")
struct LogFormatTests {
    @Test func linesFollowTheMultiprocessingFormat() {
        #expect(MultiprocessingLogHandler.format(level: .info, processName: nil, message: "ready") == "[INFO/MainProcess] ready\n")
        #expect(
            MultiprocessingLogHandler.format(level: .subwarning, processName: "Connection-7", message: "x")
                == "[SUBWARNING/Connection-7] x\n"
        )
    }

    @Test func levelsMapBothWays() {
        let pairs: [(LogLevel, Logger.Level)] = [
            (.subdebug, .trace), (.debug, .debug), (.info, .info), (.subwarning, .notice),
            (.warning, .warning), (.error, .error), (.critical, .critical),
        ]
        for (mine, theirs) in pairs {
            #expect(mine.swiftLogLevel == theirs)
            #expect(LogLevel(theirs) == mine)
        }
    }

    @Test func theLevelControlIsSharedByEveryHandler() {
        let control = LogLevelControl(.info)
        let output = LogOutput.descriptor(STDERR_FILENO)
        var first = MultiprocessingLogHandler(control: control, output: output)
        let second = MultiprocessingLogHandler(control: control, output: output)
        #expect(second.logLevel == .info)
        first.logLevel = .debug
        #expect(second.logLevel == .debug)
        control.level = .error
        #expect(first.logLevel == .error)
    }
}
