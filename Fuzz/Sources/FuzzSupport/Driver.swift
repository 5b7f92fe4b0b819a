import CLibFuzzer
import Glibc

/// The function libFuzzer calls with each input: `LLVMFuzzerTestOneInput`'s signature.
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer on `target` with the process's arguments, and exits with its status.
///
/// A target's `main.swift` calls this from its top-level code. SwiftPM gives every Swift
/// executable a `main` of its own (it compiles the entry point as `<module>_main` and links it
/// as `main`), so libFuzzer's `main` is never linked in and `-parse-as-library` would leave the
/// executable without an entry point at all: libFuzzer's driver is called from ours instead.
public func runLibFuzzer(_ target: FuzzTarget) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}
