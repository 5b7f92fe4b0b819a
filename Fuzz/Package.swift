// swift-tools-version:6.2

// libFuzzer targets for the parts of mprelay that read what others wrote: frames, the handshake,
// envelopes, the configuration, the NATS protocol and what cluster nodes exchange. A package of
// its own, so the root package's `swift build` never sees fuzzer flags. Build and run with `make fuzz` or `make fuzz-smoke` (Fuzz/run.sh),
// which builds each `fuzz-*` product with `-Xswiftc -sanitize=fuzzer,address`.

import PackageDescription

let package = Package(
    name: "mprelay-fuzz",
    dependencies: [
        .package(name: "mprelay", path: ".."),
        // Already a dependency of the root package; named here for the handshake oracle's HMACs.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // libFuzzer's driver entry point, declared for Swift.
        .target(name: "CLibFuzzer"),
        // The entry point, input slicing and invariant checks shared by the targets.
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .executableTarget(
            name: "fuzz-frames",
            dependencies: ["FuzzSupport", .product(name: "MPRelayProtocol", package: "mprelay")]
        ),
        .executableTarget(
            name: "fuzz-handshake",
            dependencies: [
                "FuzzSupport",
                .product(name: "MPRelayProtocol", package: "mprelay"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "fuzz-envelope",
            dependencies: ["FuzzSupport", .product(name: "MPRelayProtocol", package: "mprelay")]
        ),
        .executableTarget(
            name: "fuzz-nats",
            dependencies: ["FuzzSupport", .product(name: "MPRelayNATS", package: "mprelay")]
        ),
        .executableTarget(
            name: "fuzz-cluster",
            dependencies: ["FuzzSupport", .product(name: "MPRelayCluster", package: "mprelay"), .product(name: "MPRelayProtocol", package: "mprelay")]
        ),
        .executableTarget(
            name: "fuzz-config",
            dependencies: [
                "FuzzSupport",
                .product(name: "MPRelayCommon", package: "mprelay"),
                .product(name: "MPRelayConfig", package: "mprelay"),
            ]
        ),
    ]
)

for target in package.targets where target.name != "CLibFuzzer" {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.treatAllWarnings(as: .error))
    target.swiftSettings = settings
}
