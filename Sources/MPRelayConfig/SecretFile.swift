import Glibc
import MPRelayPOSIX

extension TOMLField {
    /// The secret in the file at `path` (a token, a password), one trailing newline removed;
    /// refused when the file is readable or writable by anyone but its owner, is empty, or
    /// holds more than `limit` bytes.
    ///
    /// - Parameters:
    ///   - path: The file, read through the bounded ``readFileBytes(_:limit:)``.
    ///   - noun: What the file holds, for messages: "token", "password".
    ///   - limit: The largest secret, in bytes.
    func secret(from path: String, noun: String, limit: Int = 4_096) throws(ConfigError) -> [UInt8] {
        let contents: (bytes: [UInt8], mode: mode_t)
        do {
            contents = try readFileBytes(path, limit: limit + 1)
        } catch {
            throw self.error("cannot read the \(noun) from \(path): \(error)")
        }
        guard contents.mode & 0o077 == 0 else {
            throw self.error("\(noun) file \(path) is open to other users (mode \(String(contents.mode & 0o777, radix: 8))): chmod 600 it")
        }
        var bytes = contents.bytes
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw self.error("the \(noun) file \(path) is empty") }
        guard bytes.count <= limit else { throw self.error("the \(noun) in \(path) is longer than \(limit) bytes") }
        return bytes
    }
}
