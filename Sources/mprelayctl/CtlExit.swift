import ArgumentParser
import MPRelayControl

/// mprelayctl's exit statuses, as `--help` lists them.
enum CtlExit: Int32 {
    case ok = 0
    /// The daemon ran the command and it failed: an unknown peer, a rejected reload.
    case commandFailed = 1
    case usage = 2
    case unreachable = 3
    case permissionDenied = 4

    /// The status for a client-side failure.
    init(_ error: ControlClientError) {
        switch error.kind {
        case .unreachable: self = .unreachable
        case .permissionDenied: self = .permissionDenied
        case .badAnswer: self = .commandFailed
        }
    }

    /// The status for a failure the daemon answered with.
    init(_ failure: ControlFailure) {
        self = failure.code == .permissionDenied ? .permissionDenied : .commandFailed
    }

    /// As an ArgumentParser exit.
    var exitCode: ExitCode { ExitCode(rawValue) }
}
