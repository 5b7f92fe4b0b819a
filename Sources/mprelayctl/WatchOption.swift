import ArgumentParser

/// `--watch SECONDS`, for the commands whose answer changes over time.
struct WatchOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Refresh every this many seconds until interrupted (Ctrl-C).",
            discussion: "On a terminal the screen is cleared before each refresh; with --json one JSON line is printed per refresh.",
            valueName: "seconds"
        )
    )
    var watch: Double?

    func validate() throws {
        if let watch, !(watch >= 0.1 && watch.isFinite) { throw ValidationError("--watch must be at least 0.1 seconds") }
    }
}
