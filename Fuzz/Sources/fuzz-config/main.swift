import FuzzSupport
import MPRelayCommon
import MPRelayConfig

// Parses the input as a configuration file: ConfigLoader must throw a ConfigError or return a
// Configuration, never trap, whatever the bytes. Every input goes through the TOML parser
// (MPRelayTOML) first, so this target fuzzes it too; an error from a file's contents must name
// a line and column inside the input.
//
// The loader also reads the key files a configuration names (authkey_file). Inputs that name
// kernel pseudo-files are skipped: as root, /proc/self/pagemap or /proc/kcore read as "regular
// files", which is an operator's choice of key file, not a parsing question (the loader reads at
// most Authkey.maximumFileBytes of one anyway). Relative names resolve in the directory the
// fuzzer runs in, where Fuzz/run.sh puts a key file named `authkey`.

private let pseudoFileSystems = ["/proc", "/sys", "/dev"].map { Array($0.utf8) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var input = FuzzInput(start, count)
    let bytes = Array(input.rest())
    for prefix in pseudoFileSystems where contains(bytes, prefix) { return -1 }
    do {
        let configuration = try ConfigLoader(environment: [:]).parse(bytes: bytes, file: "fuzz.toml")
        invariant(!configuration.endpoints.isEmpty, "a configuration with no endpoint was accepted")
        for endpoint in configuration.endpoints {
            _ = endpoint.address.description
            _ = endpoint.address.unixPathBytes
        }
        _ = configuration.warnings.map(\.description)
    } catch {
        invariant(!error.description.isEmpty, "a ConfigError with no description")
        if let line = error.line {
            let lines = bytes.count { $0 == UInt8(ascii: "\n") } + 1
            invariant((1...lines).contains(line) && (error.column ?? 0) >= 1, "an error outside the input: \(error)")
        }
    }
    return 0
}

/// Whether `needle` occurs in `haystack`.
private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

runLibFuzzer(fuzzConfig)
