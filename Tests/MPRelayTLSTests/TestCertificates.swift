import Foundation
import Testing

/// The certificates of `Tests/fixtures/make-test-certificates.sh`, made once per test run in a
/// temporary folder. Fails loudly when the openssl command is missing.
enum TestCertificates {
    /// The folder holding them, or why they could not be made.
    static let directory: Result<String, CertificateError> = make()

    struct CertificateError: Error, CustomStringConvertible {
        let description: String
    }

    /// The path of `name` in the folder.
    static func path(_ name: String) throws -> String {
        try directory.get() + "/" + name
    }

    private static func make() -> Result<String, CertificateError> {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mprelay-tls-\(getpid())").path
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/make-test-certificates.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, folder]
        do {
            try process.run()
        } catch {
            return .failure(CertificateError(description: "cannot run \(script): \(error)"))
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            return .failure(CertificateError(description: "\(script) failed with status \(process.terminationStatus): is the openssl command installed?"))
        }
        return .success(folder)
    }
}
