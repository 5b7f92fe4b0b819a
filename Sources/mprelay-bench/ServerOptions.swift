import ArgumentParser
import Glibc
import MPRelayCommon
import MPRelayTLS

/// The options every workload shares: which server, how to authenticate, how to report.
struct ServerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Where the server listens: host:port, [v6addr]:port, a socket path or @name (default: 127.0.0.1:6000; 127.0.0.1:4222 with --protocol nats).",
            valueName: "address"
        )
    )
    var address: String?

    @Option(
        name: .customLong("receiver-address"),
        help: ArgumentHelp(
            "Where receiving links connect, when not to --address: another node of an mprelay cluster (a cross-node run), or another nats-server of a NATS cluster.",
            valueName: "address"
        )
    )
    var receiverAddress: String?

    @Option(help: ArgumentHelp("The endpoint's authkey (default: $MPRELAY_AUTHKEY).", valueName: "key"))
    var authkey: String?

    @Option(help: ArgumentHelp("The server's process id: adds its CPU time and resident memory, read from /proc.", valueName: "pid"))
    var pid: Int32?

    @Flag(help: "Connect with TLS (mprelayd endpoints with tls_cert_file, nats-server with a tls block); needs --tls-ca.")
    var tls = false

    @Option(name: .customLong("tls-ca"), help: ArgumentHelp("PEM CA certificates the server's certificate must be signed by.", valueName: "file"))
    var tlsCA: String?

    @Option(name: .customLong("tls-server-name"), help: ArgumentHelp("The name the server's certificate must carry (default: the address's host).", valueName: "name"))
    var tlsServerName: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM client certificate, for endpoints that ask for one; its key in --tls-key.", valueName: "file"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Flag(help: "Print the summary as one JSON object instead of a table.")
    var json = false

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    /// The server to measure, checked: a parseable address, and a key when the protocol needs
    /// one; for NATS, with its subjects laid out as `natsLayout` says.
    func target(_ wireProtocol: WireProtocol = .mprelay, natsLayout: NATSSubjectLayout = .single) throws(BenchError) -> BenchTarget {
        let text = address ?? wireProtocol.defaultAddress
        let parsed = try Self.parse(text, option: "--address")
        let receiving = try receiverAddress.map { text throws(BenchError) in try Self.parse(text, option: "--receiver-address") }
        var key: [UInt8] = []
        if wireProtocol == .mprelay {
            guard let given = authkey ?? getenv("MPRELAY_AUTHKEY").map({ String(cString: $0) }), !given.isEmpty else {
                throw BenchError(.usage, "mprelayd needs an authkey: pass --authkey or set MPRELAY_AUTHKEY")
            }
            key = Array(given.utf8)
        }
        return BenchTarget(
            wireProtocol: wireProtocol,
            address: parsed,
            receiverAddress: receiving ?? parsed,
            authkey: key,
            tls: try tlsSettings(for: parsed),
            natsLayout: natsLayout
        )
    }

    private static func parse(_ text: String, option: String) throws(BenchError) -> EndpointAddress {
        do {
            return try EndpointAddress(parsing: text)
        } catch {
            throw BenchError(.usage, "\(option) \(text): \(error)")
        }
    }

    /// The client TLS context of `--tls`, checked.
    private func tlsSettings(for address: EndpointAddress) throws(BenchError) -> (context: TLSContext, serverName: String)? {
        guard tls else {
            guard tlsCA == nil, tlsCertificate == nil else { throw BenchError(.usage, "--tls-ca and --tls-cert need --tls") }
            return nil
        }
        let serverName: String
        switch (tlsServerName, address) {
        case (let name?, _): serverName = name
        case (nil, .inet(let host, _)), (nil, .inet6(let host, _)): serverName = host
        case (nil, .unixPath), (nil, .unixAbstract), (nil, .systemdSocket):
            throw BenchError(.usage, "--tls needs a host:port address, or --tls-server-name")
        }
        guard let tlsCA else { throw BenchError(.usage, "--tls needs --tls-ca FILE: the CA that signed mprelayd's certificate") }
        do {
            return (try TLSContext.client(caFile: tlsCA, certificateFile: tlsCertificate, keyFile: tlsKey, minimumVersion: .tls12), serverName)
        } catch {
            throw BenchError(.usage, "\(error)")
        }
    }

    /// Progress on stderr, unless `--quiet`.
    var progress: Progress { Progress(enabled: !quiet) }

    /// The server's /proc view, with `--pid`.
    var serverStats: ProcessStats? { pid.map { ProcessStats(pid: $0) } }

    /// Prints the report as asked, then fails the command if the run failed.
    func finish(_ outcome: WorkloadOutcome) throws {
        print(json ? outcome.report.json() : outcome.report.table())
        if let failure = outcome.failure {
            Progress.writeLine("FAILED: \(failure)")
            throw ExitCode.failure
        }
    }
}

extension WireProtocol: ExpressibleByArgument {}
