import ArgumentParser
import MPRelayControl

/// mprelayctl's exit statuses for failures, as `--help` lists them (success is 0).
enum CtlExit: Int32 {
    /// The daemon ran the command and it failed: an unknown peer, a rejected reload.
    case commandFailed = 1
    /// The command line is wrong, or the `--config` file cannot be read.
    case usage = 2
    /// Nothing answers at the socket, or not in time.
    case unreachable = 3
    /// The file system or the daemon refused this user.
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
