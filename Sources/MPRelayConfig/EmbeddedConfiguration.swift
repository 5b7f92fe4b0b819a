import Glibc
import MPRelayConfigFile
import MPRelayPOSIX

extension Configuration {
    /// The configuration used without `--config`: ``embeddedDefault(runtimeDirectory:authkey:)``
    /// in ``RuntimeDirectory/path(environment:)``, with the key from `MPRELAY_AUTHKEY`, else from
    /// `authkey` in that directory, created with a random key (mode 0600) when missing.
    ///
    /// - Returns: the configuration and a sentence for the log saying where the key is.
    public static func embedded(environment: [String: String]) throws(ConfigError) -> (Configuration, String) {
        let directory = RuntimeDirectory.path(environment: environment)
        func failure(_ message: String) -> ConfigError {
            ConfigError(file: embeddedSource, key: "", message: message)
        }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw failure("cannot create the runtime directory \(directory): \(String(cString: strerror(errno)))")
        }
        if let key = environment["MPRELAY_AUTHKEY"], !key.isEmpty {
            let authkey = Authkey(bytes: Array(key.utf8), origin: "environment MPRELAY_AUTHKEY")
            return (embeddedDefault(runtimeDirectory: directory, authkey: authkey), "using the authkey from MPRELAY_AUTHKEY")
        }
        let path = directory + "/authkey"
        if let existing = try? readFileBytes(path, limit: Authkey.maximumFileBytes), existing.mode & 0o077 == 0, !existing.bytes.isEmpty {
            let authkey = Authkey(bytes: existing.bytes, origin: "file \(path)")
            return (embeddedDefault(runtimeDirectory: directory, authkey: authkey), "using the authkey in \(path)")
        }
        var random = SystemRandomNumberGenerator()
        let hexDigits = Array("0123456789abcdef".utf8)
        let key = (0..<32).flatMap { _ -> [UInt8] in
            let byte: UInt8 = random.next()
            return [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
        }
        let fd: Int32
        do {
            fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK, mode: 0o600)
        } catch {
            throw failure("cannot write a new authkey to \(path): \(String(cString: strerror(error.errno)))")
        }
        defer { SystemCall.close(fd) }
        guard fchmod(fd, 0o600) == 0 else {
            throw failure("cannot write a new authkey to \(path): \(String(cString: strerror(errno)))")
        }
        guard key.withUnsafeBytes({ DescriptorWrite.all($0, to: fd) }) else {
            throw failure("cannot write a new authkey to \(path)")
        }
        let authkey = Authkey(bytes: key, origin: "file \(path)")
        return (
            embeddedDefault(runtimeDirectory: directory, authkey: authkey),
            "generated a random authkey in \(path) (mode 0600); clients use its contents, e.g. MPRELAY_AUTHKEY=$(cat \(path))"
        )
    }
}
