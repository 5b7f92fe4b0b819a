import ArgumentParser
import Glibc
import MPRelayControl
import MPRelayPOSIX

/// One command sent to the daemon, its answer printed, and the exit status it calls for;
/// repeated every `--watch` seconds where a subcommand offers that.
struct ControlCall<Result: Codable & Sendable> {
    /// What one round trip gave.
    enum Outcome {
        /// Text for stdout.
        case printed(String)
        /// An exit status, a message for stderr, and with `--json` the daemon's answer for stdout.
        case failed(CtlExit, message: String, answer: String?)
    }

    let options: ConnectionOptions
    let request: ControlRequest
    /// The result as text for people.
    let render: (Result) -> String

    /// Runs the command once, or every `interval` seconds until interrupted or until it fails.
    ///
    /// - Throws: `ExitCode` with the status of ``CtlExit`` when the command fails.
    func run(watch interval: Double? = nil) throws {
        guard let interval else {
            try finish(perform())
            return
        }
        while true {
            let outcome = perform()
            guard case .printed(let text) = outcome else { return try finish(outcome) }
            if options.json {
                Output.out(text)
            } else {
                let clear = Output.isTerminal ? "\u{1B}[H\u{1B}[2J" : "\n"
                let header = "every \(HumanReadable.duration(interval)): mprelayctl \(request.command)  \(HumanReadable.utcTime(Double(time(nil))))\n\n"
                Output.out(clear + header + text)
            }
            SystemCall.sleep(seconds: interval)
        }
    }

    private func finish(_ outcome: Outcome) throws {
        switch outcome {
        case .printed(let text):
            Output.out(text)
        case .failed(let status, let message, let answer):
            if let answer { Output.out(answer) }
            Output.error(message)
            throw status.exitCode
        }
    }

    /// One round trip.
    func perform() -> Outcome {
        let path: String
        do {
            path = try options.socketPath()
        } catch {
            return .failed(.usage, message: "mprelayctl: \(error)", answer: nil)
        }
        let connection: ControlConnection
        let line: [UInt8]
        let answer: ControlAnswer<Result>
        do {
            connection = try ControlConnection(socketPath: path, timeout: options.timeout)
            line = try connection.send(request)
            answer = try connection.decode(line, as: Result.self)
        } catch {
            return .failed(CtlExit(error), message: "mprelayctl: \(error)", answer: nil)
        }
        let json = String(decoding: line, as: UTF8.self) + "\n"
        do {
            let result = try answer.get()
            return .printed(options.json ? json : render(result))
        } catch {
            return .failed(CtlExit(error), message: "mprelayctl: \(request.command): \(error.message)", answer: options.json ? json : nil)
        }
    }
}
