// swift-tools-version:6.2

import PackageDescription

let package = Package(
    name: "mprelay",
    products: [
        .executable(name: "mprelayd", targets: ["mprelayd"]),
        .executable(name: "mprelayctl", targets: ["mprelayctl"]),
        .executable(name: "mprelay-bench", targets: ["mprelay-bench"]),
        .library(name: "MPRelayCommon", targets: ["MPRelayCommon"]),
        .library(name: "MPRelayProtocol", targets: ["MPRelayProtocol"]),
        .library(name: "MPRelayClient", targets: ["MPRelayClient"]),
        .library(name: "MPRelayCore", targets: ["MPRelayCore"]),
        .library(name: "MPRelayConfig", targets: ["MPRelayConfig"]),
        .library(name: "MPRelayTOML", targets: ["MPRelayTOML"]),
        .library(name: "MPRelayNATS", targets: ["MPRelayNATS"]),
        .library(name: "MPRelayCluster", targets: ["MPRelayCluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // Already in the graph through Hummingbird; named for the HTTP server's own event loop.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Wire format: framing, the multiprocessing handshake, envelopes. No sockets, no clocks.
        .target(
            name: "MPRelayProtocol",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // A TOML 1.0 parser: bytes in, a value tree with source positions or a positioned error
        // out. No I/O, no dependencies.
        .target(name: "MPRelayTOML"),
        // Test support: decodes TOML documents streamed on stdin and prints each in the toml-test
        // JSON form, for the differential test against CPython's tomllib (Tests/toml-differential).
        .executableTarget(name: "toml-decode", dependencies: ["MPRelayPOSIX", "MPRelayTOML"]),
        // A NATS client: the protocol codec (no sockets), the connection, JetStream key-value.
        .target(name: "MPRelayNATS", dependencies: ["MPRelayPOSIX", "MPRelayTLS"]),
        // The configuration file before its model: the bounded read, the TOML document, the
        // positioned ConfigError, the runtime directory, and where the control socket is (all
        // mprelayctl needs of a configuration file).
        .target(name: "MPRelayConfigFile", dependencies: ["MPRelayCommon", "MPRelayPOSIX", "MPRelayTOML"]),
        // The configuration model and its TOML loader. No sockets; the NATS module only for its
        // server addresses and credentials, the [cluster] table's types; the TLS module to load
        // and check the [cluster] table's TLS files when the file is read.
        .target(
            name: "MPRelayConfig",
            dependencies: ["MPRelayCommon", "MPRelayConfigFile", "MPRelayNATS", "MPRelayPOSIX", "MPRelayProtocol", "MPRelayTLS", "MPRelayTOML"]
        ),
        // Nodes joined through NATS: the frames nodes exchange, the bucket's keys and claims, the
        // replica of the bucket that answers lookups (pure, no I/O), and the node that does the I/O.
        .target(
            name: "MPRelayCluster",
            dependencies: [
                "MPRelayCommon", "MPRelayNATS", "MPRelayProtocol", "MPRelayTLS",
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The relay's decisions without sockets: registry, registration, access rules, routing,
        // queue bounds, presence. Events in, decisions out; the broker performs them.
        .target(name: "MPRelayCore", dependencies: ["MPRelayProtocol"]),
        // The few calls glibc declares only under _GNU_SOURCE, and the idle scheduling class
        // with the pthread_create wrapper that keeps it from spreading to new threads.
        .target(name: "CMPRelayShims"),
        // The bottom layer: the one family of system-call wrappers (EINTR retried here only,
        // EAGAIN a value, EBADF a bug), socket I/O, the bounded file reader, the stderr writer.
        .target(name: "MPRelayPOSIX", dependencies: ["CMPRelayShims"]),
        // What every mprelay program shares without linking the broker or the config loader:
        // the version, endpoint addresses and their parsing, log levels. No I/O.
        .target(name: "MPRelayCommon"),
        // Log lines in Python's multiprocessing format, through a bounded output that never
        // blocks the thread that logs: used by the daemon's broker, control and systemd layers.
        .target(
            name: "MPRelayLogging",
            dependencies: ["MPRelayCommon", "MPRelayPOSIX", .product(name: "Logging", package: "swift-log")]
        ),
        // The broker: endpoints and connections, the I/O driver that performs the core's decisions.
        .target(
            name: "MPRelayBroker",
            dependencies: [
                "CMPRelayShims",
                "MPRelayCluster",
                "MPRelayCommon",
                "MPRelayCore",
                "MPRelayLogging",
                "MPRelayNATS",
                "MPRelayPOSIX",
                "MPRelayProtocol",
                "MPRelayTLS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // A blocking Swift client, for mprelay-bench, tests and Swift programs.
        .target(
            name: "MPRelayClient",
            dependencies: [
                "MPRelayCommon",
                "MPRelayPOSIX",
                "MPRelayProtocol",
                "MPRelayTLS",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The load generator: throughput, latency, fan-in, idle connections, handshakes.
        .executableTarget(
            name: "mprelay-bench",
            dependencies: [
                "MPRelayCommon",
                "MPRelayPOSIX",
                "MPRelayClient",
                "MPRelayCluster",
                "MPRelayNATS",
                "MPRelayProtocol",
                "MPRelayTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // The control socket's JSON-lines protocol, its blocking client and the text formatting:
        // what mprelayctl needs, without the broker.
        .target(name: "MPRelayControl", dependencies: ["MPRelayCommon", "MPRelayPOSIX"]),
        // The control socket's server in the daemon: access checks, commands, snapshots, metrics.
        .target(
            name: "MPRelayControlServer",
            dependencies: [
                "CMPRelayShims",
                "MPRelayCluster",
                "MPRelayCommon",
                "MPRelayLogging",
                "MPRelayNATS",
                "MPRelayPOSIX",
                "MPRelayBroker",
                "MPRelayConfig",
                "MPRelayControl",
                "MPRelayProtocol",
                "MPRelayTLS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The monitoring HTTP server: /metrics, /healthz, JSON snapshots and the status page.
        .target(
            name: "MPRelayHTTP",
            dependencies: [
                "MPRelayBroker",
                "MPRelayConfig",
                "MPRelayControl",
                "MPRelayControlServer",
                "MPRelayLogging",
                "MPRelayPOSIX",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "mprelayctl",
            dependencies: [
                "MPRelayCommon",
                "MPRelayPOSIX",
                "MPRelayControl",
                // For --config: the [control] socket of the daemon's configuration file, read as
                // the daemon reads it, without the configuration model (nor NATS, nor the wire).
                "MPRelayConfigFile",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The launcher's one meeting of the configuration model and the broker: how a
        // configuration file becomes the broker's and the cluster node's settings.
        .target(
            name: "MPRelayLauncher",
            dependencies: ["MPRelayBroker", "MPRelayCluster", "MPRelayConfig", "MPRelayCore", "MPRelayProtocol", "MPRelayTLS"]
        ),
        .executableTarget(
            name: "mprelayd",
            dependencies: [
                "MPRelayCluster",
                "MPRelayCommon",
                "MPRelayLauncher",
                "MPRelayLogging",
                "MPRelayPOSIX",
                "MPRelayBroker",
                "MPRelayConfig",
                "MPRelayControl",
                "MPRelayControlServer",
                "MPRelayHTTP",
                "MPRelaySystemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // OpenSSL 3 for TLS on TCP endpoints. A system library, not vendored.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // TLS sessions driven with bytes: contexts, handshakes, records; TLSStream over a blocking
        // socket for clients.
        .target(name: "MPRelayTLS", dependencies: ["COpenSSL", "MPRelayPOSIX"]),
        // libsystemd: sd_notify, socket activation, the journal. A system library, not vendored.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The launcher's systemd layer: readiness and watchdog, socket activation, the journal.
        .target(
            name: "MPRelaySystemd",
            dependencies: [
                "CSystemd",
                "MPRelayCommon",
                "MPRelayLogging",
                "MPRelayPOSIX",
            ]
        ),
        .testTarget(
            name: "MPRelayProtocolTests",
            dependencies: ["MPRelayProtocol", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Vectors")]
        ),
        .testTarget(name: "MPRelayCoreTests", dependencies: ["MPRelayCore", "MPRelayProtocol"]),
        // Test support: three nats-servers with JetStream on 127.0.0.1, started and stopped by PID,
        // for every suite that talks to a real NATS cluster; the TLS test certificates, made once.
        .target(name: "NATSTestSupport", dependencies: ["MPRelayNATS"], path: "Tests/NATSTestSupport"),
        .testTarget(name: "MPRelayNATSTests", dependencies: ["MPRelayNATS", "MPRelayTLS", "NATSTestSupport"], resources: [.copy("Vectors")]),
        .testTarget(
            name: "MPRelayClusterTests",
            dependencies: ["MPRelayCluster", "MPRelayCommon", "MPRelayNATS", "MPRelayProtocol", "NATSTestSupport"]
        ),
        .testTarget(
            name: "MPRelayConfigTests",
            dependencies: ["MPRelayCommon", "MPRelayConfig", "MPRelayConfigFile", "MPRelayNATS", "MPRelayProtocol", "MPRelayTLS", "NATSTestSupport"]
        ),
        .testTarget(
            name: "MPRelayLauncherTests",
            dependencies: [
                "MPRelayBroker", "MPRelayCluster", "MPRelayCommon", "MPRelayConfig", "MPRelayCore",
                "MPRelayLauncher", "MPRelayNATS", "MPRelayProtocol", "MPRelayTLS",
            ]
        ),
        .testTarget(name: "MPRelayCommonTests", dependencies: ["MPRelayCommon"]),
        .testTarget(
            name: "MPRelayLoggingTests",
            dependencies: ["MPRelayCommon", "MPRelayLogging", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "MPRelayTLSTests", dependencies: ["MPRelayTLS"]),
        .testTarget(name: "MPRelayTOMLTests", dependencies: ["MPRelayTOML"]),
        .testTarget(name: "MPRelayPOSIXTests", dependencies: ["MPRelayPOSIX"]),
        .testTarget(name: "MPRelayHTTPTests", dependencies: ["MPRelayControl", "MPRelayHTTP"]),
        .testTarget(
            name: "MPRelayControlTests",
            dependencies: [
                "MPRelayCommon",
                "MPRelayLogging",
                "MPRelayControl",
                "MPRelayControlServer",
                "MPRelayBroker",
                "MPRelayClient",
                "MPRelayConfig",
                "MPRelayLauncher",
                "MPRelayProtocol",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "MPRelayBrokerTests",
            dependencies: [
                "MPRelayCluster",
                "MPRelayCommon",
                "MPRelayPOSIX",
                "MPRelayBroker",
                "MPRelayClient",
                "MPRelayConfig",
                "MPRelayLauncher",
                "MPRelayProtocol",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "MPRelaySystemdTests",
            dependencies: [
                "MPRelaySystemd",
                "MPRelayCommon",
                "MPRelayLogging",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

for target in package.targets where target.type != .system && target.name != "CMPRelayShims" {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.treatAllWarnings(as: .error))
    target.swiftSettings = settings
}
