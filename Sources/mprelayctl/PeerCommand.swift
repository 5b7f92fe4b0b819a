import ArgumentParser
import MPRelayControl

/// `mprelayctl peer NAME`.
struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Show one registered peer in full.",
        discussion: """
            The fields of `mprelayctl peers` for one peer, one per line, with the time it \
            registered. Exits 1 when no peer of that name is registered.

            Examples:
              mprelayctl peer worker-3
              mprelayctl peer worker-3 --json
            """
    )

    @Argument(help: ArgumentHelp("The peer's registered name.", valueName: "name"))
    var name: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try ControlCall<PeerReport>(options: connection, request: .peer(name: name), render: \.humanText).run()
    }
}
