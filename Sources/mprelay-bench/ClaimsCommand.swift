import ArgumentParser
import Foundation
import MPRelayCluster
import MPRelayNATS

/// `mprelay-bench claims`: how long a cluster node takes to claim a name, the NATS part of a
/// registration (HELLO to WELCOME) on a cluster node.
struct ClaimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "Name claims and releases per second through a NATS cluster, with their latency.",
        discussion: """
            Joins the NATS cluster at --nats as a cluster node of a fresh cluster name (so its own \
            bucket), then each of --threads threads claims a fresh name and releases it, --count \
            times. A claim is an atomic create in the replicated key-value bucket; its latency is \
            what a registration on a cluster node adds to HELLO to WELCOME. The bucket is left \
            behind: delete it with `nats kv del mprelay_<name>`.
            """
    )

    @Option(help: "A NATS server URL (repeat for each server of the cluster).")
    var nats: [String] = []

    @Option(help: "The NATS user; the password is read from --password-file.")
    var user: String?

    @Option(help: "A file holding the NATS user's password.")
    var passwordFile: String?

    @Option(help: "Claims (and releases) per thread.")
    var count = 2_000

    @Option(help: "Threads claiming at once.")
    var threads = 1

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    func validate() throws {
        guard !nats.isEmpty else { throw ValidationError("name at least one NATS server with --nats") }
        guard count >= 1, threads >= 1 else { throw ValidationError("--count and --threads must be at least 1") }
        guard (user == nil) == (passwordFile == nil) else { throw ValidationError("--user and --password-file go together") }
    }

    func run() throws {
        let servers: [NATSServerAddress]
        do {
            servers = try NATSConnectionOptions(urls: nats).servers
        } catch {
            throw BenchError(.usage, "\(error)")
        }
        var credentials = NATSConnectionOptions.Credentials.none
        if let user, let passwordFile {
            credentials = .userPassword(user: user, password: try Self.password(passwordFile))
        }
        let settings = ClusterNodeSettings(
            node: "bench",
            name: "bench-" + String(UInt32.random(in: 0...UInt32.max), radix: 36),
            servers: servers,
            credentials: credentials
        )
        let run = ClaimsRun(settings: settings, count: count, threads: threads, progress: Progress(enabled: !quiet))
        let outcome = try run.run()
        print(json ? outcome.report.json() : outcome.report.table())
        if let failure = outcome.failure {
            Progress.writeLine("FAILED: \(failure)")
            throw ExitCode.failure
        }
    }

    /// The password in `path`, one trailing newline removed.
    private static func password(_ path: String) throws(BenchError) -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw BenchError(.usage, "cannot read the password from \(path): \(error)")
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
