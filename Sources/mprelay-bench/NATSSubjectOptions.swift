import ArgumentParser

/// The options of a `--protocol nats` throughput or latency run that lay its messages out over
/// many subjects (``NATSSubjectLayout``).
struct NATSSubjectOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "With --protocol nats: subscriptions each receiving link holds (NAME.0 ... NAME.<N-1> when above 1), as a node with a subject per peer would hold one per registered peer.",
            valueName: "N"
        )
    )
    var subscriptions = 1

    @Option(
        help: ArgumentHelp(
            "With --protocol nats: how many of a receiver's subscribed subjects a sender spreads its messages over, round-robin (1 to --subscriptions).",
            valueName: "K"
        )
    )
    var subjects = 1

    /// Checks the bounds, and that only a NATS run asks for more than the default.
    func validate(for wireProtocol: WireProtocol) throws {
        guard subscriptions >= 1, (1...subscriptions).contains(subjects) else {
            throw ValidationError("--subscriptions must be at least 1 and --subjects from 1 to --subscriptions")
        }
        guard wireProtocol == .nats || layout == .single else {
            throw ValidationError("--subscriptions and --subjects need --protocol nats")
        }
    }

    /// The layout asked for.
    var layout: NATSSubjectLayout { NATSSubjectLayout(subscriptions: subscriptions, subjects: subjects) }
}
