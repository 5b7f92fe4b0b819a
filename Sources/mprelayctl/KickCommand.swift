import ArgumentParser
import MPRelayControl

/// `mprelayctl kick NAME [--reason TEXT]`.
struct KickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kick",
        abstract: "Disconnect a peer.",
        discussion: """
            The peer is sent an ERROR envelope with code 11 (kicked) carrying the reason, then \
            its connection is closed; its name is free again at once. Nothing stops its client \
            from reconnecting: to keep it out, change its key or its principal and reload. Exits \
            1 when no peer of that name is registered.

            Examples:
              mprelayctl kick worker-7
              mprelayctl kick worker-7 --reason "stuck; restarting the pool"
            """
    )

    @Argument(help: ArgumentHelp("The peer's registered name.", valueName: "name"))
    var name: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The text of the ERROR envelope the peer receives (at most 1024 bytes).",
            discussion: "Default: \"\(ControlRequest.defaultKickReason)\".",
            valueName: "text"
        )
    )
    var reason: String?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let reason, reason.utf8.count > ControlRequest.maxReasonBytes {
            throw ValidationError("--reason is \(reason.utf8.count) bytes; at most \(ControlRequest.maxReasonBytes)")
        }
    }

    func run() throws {
        try ControlCall<KickReport>(options: connection, request: .kick(name: name, reason: reason)) { report in
            "kicked \(report.name): \(report.reason)\n"
        }.run()
    }
}
