import Foundation
import Glibc
import MPRelayConfig
import Testing

/// Key files that are not regular files are refused at once, with the file named: a FIFO whose
/// open would wait for a writer forever, a device that never ends, a directory; and so is a file
/// too large to be a key.
@Suite("Key file kinds")
struct KeyFileKindTests {
    private func refusal(_ path: String) -> String? {
        do {
            _ = try ConfigLoader(environment: [:]).parse("[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey_file = \"\(path)\"", file: "test.toml")
            return nil
        } catch {
            #expect(error.key == "endpoint[1].authkey_file")
            return error.message
        }
    }

    @Test func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let directory = TemporaryDirectory()
        let fifo = directory.path + "/fifo"
        try #require(mkfifo(fifo, 0o600) == 0)
        let message = try #require(refusal(fifo))
        #expect(message.contains(fifo))
        #expect(message.contains("it is a FIFO, not a regular file"))
    }

    @Test(arguments: [("/dev/zero", "a character device"), ("/", "a directory")])
    func otherKindsAreRefusedByName(path: String, kind: String) throws {
        let message = try #require(refusal(path))
        #expect(message.contains("cannot read the key from \(path): it is \(kind), not a regular file"))
    }

    @Test func aFileLargerThanTheLimitIsRefused() throws {
        let directory = TemporaryDirectory()
        let large = directory.write("large", String(repeating: "k", count: 65_537))
        let message = try #require(refusal(large))
        #expect(message.contains("it is larger than 65536 bytes"))
    }
}
