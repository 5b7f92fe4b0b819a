import Glibc
import MPRelayPOSIX
import Testing

/// The bounded file reader against real files in a fresh directory.
struct FileReadingTests {
    /// A new empty directory under TMPDIR (or /tmp), removed by the caller.
    static func scratchDirectory() -> String {
        var template = Array("\(getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")/mprelay-posix-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer in
            guard let made = mkdtemp(buffer.baseAddress!) else { preconditionFailure("mkdtemp failed") }
            return String(cString: made)
        }
    }

    static func write(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o640)
        precondition(fd >= 0)
        DescriptorWrite.all(text, to: fd)
        SystemCall.close(fd)
    }

    @Test func readsAWholeFileAndItsMode() throws {
        let directory = Self.scratchDirectory()
        let path = directory + "/file"
        defer { unlink(path); rmdir(directory) }
        Self.write("contents", to: path)
        let (bytes, mode) = try readFileBytes(path, limit: 100)
        #expect(bytes == Array("contents".utf8))
        #expect(mode & 0o777 == 0o640)
    }

    @Test func refusesAFileOverTheLimit() {
        let directory = Self.scratchDirectory()
        let path = directory + "/file"
        defer { unlink(path); rmdir(directory) }
        Self.write(String(repeating: "x", count: 101), to: path)
        #expect(throws: FileError(description: "it is larger than 100 bytes")) { try readFileBytes(path, limit: 100) }
    }

    @Test func refusesAFIFOWithoutWaitingForAWriter() {
        let directory = Self.scratchDirectory()
        let path = directory + "/fifo"
        defer { unlink(path); rmdir(directory) }
        #expect(mkfifo(path, 0o600) == 0)
        #expect(throws: FileError(description: "it is a FIFO, not a regular file")) { try readFileBytes(path, limit: 100) }
    }

    @Test func aMissingFileNamesTheCallAndErrno() {
        #expect(throws: FileError(description: "open: No such file or directory")) {
            try readFileBytes("/nonexistent-mprelay-test/file", limit: 100)
        }
    }
}
