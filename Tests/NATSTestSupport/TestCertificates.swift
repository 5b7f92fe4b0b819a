import Foundation

/// The certificates of `Tests/fixtures/make-test-certificates.sh` (a CA, a server certificate for
/// `localhost` and 127.0.0.1, a client certificate, a rogue CA, a key matching none of them...),
/// made once per test process in a temporary folder removed at exit.
public enum TestCertificates {
    /// The folder holding them, or why they could not be made (the openssl command missing).
    public static let directory: Result<String, FixtureError> = make()

    /// The path of the file `name` of the folder.
    ///
    /// - Throws: ``FixtureError`` when the certificates could not be made.
    public static func path(_ name: String) throws -> String {
        try directory.get() + "/" + name
    }

    private static func make() -> Result<String, FixtureError> {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/make-test-certificates.sh").path
        do {
            let folder = try NATSServerProcess.temporaryDirectory()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script, folder]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                return .failure(FixtureError("\(script) exited with \(process.terminationStatus): is openssl installed?"))
            }
            return .success(folder)
        } catch {
            return .failure(FixtureError("cannot run \(script): \(error)"))
        }
    }
}
