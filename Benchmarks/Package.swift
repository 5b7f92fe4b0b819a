// swift-tools-version:6.2

// Micro-benchmarks of mprelay's relay path, with ordo-one's package-benchmark.
//
// A package of its own, depending on mprelay by path, so that building and testing mprelay never
// resolves or builds the benchmark framework and its malloc interposer. Run from this directory:
//     swift package benchmark
// docs/PERFORMANCE.md has the latest numbers.

import PackageDescription

let package = Package(
    name: "mprelay-benchmarks",
    dependencies: [
        .package(name: "mprelay", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Frame decoding, envelope decoding and encoding, the relay core's routing: ns and allocations
        // per message.
        .executableTarget(
            name: "RelayPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MPRelayCore", package: "mprelay"),
                .product(name: "MPRelayProtocol", package: "mprelay"),
            ],
            path: "RelayPath",
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
