import Glibc
import MPRelayPOSIX

extension TOMLField {
    /// The file this field names: its path, bytes and mode. The file must be a readable regular
    /// file of at most ``ConfigLoader/maximumFileBytes``, read through ``readFileBytes(_:limit:)``,
    /// the one bounded, non-blocking reader every configured file goes through.
    func readableFile() throws(ConfigError) -> (path: String, bytes: [UInt8], mode: mode_t) {
        let path = try string()
        guard !path.isEmpty else { throw error("the path is empty") }
        do {
            let contents = try readFileBytes(path, limit: ConfigLoader.maximumFileBytes)
            return (path, contents.bytes, contents.mode)
        } catch {
            throw self.error("cannot read \(path): \(error)")
        }
    }

    /// A private key file, as ``readableFile()`` reads it, refused when users other than its
    /// owner may read or write it.
    func privateKeyFile() throws(ConfigError) -> (path: String, bytes: [UInt8], mode: mode_t) {
        let key = try readableFile()
        guard key.mode & 0o077 == 0 else {
            throw error("the private key file \(key.path) is open to other users (mode \(String(key.mode & 0o777, radix: 8))): chmod 600 it")
        }
        return key
    }
}
