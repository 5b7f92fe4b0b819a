import Glibc

/// A file that could not be read, and why: the failed call and its errno text, or what kind of
/// file it is instead of a regular one.
struct FileError: Error, CustomStringConvertible {
    let description: String

    /// A failed system call, e.g. `open: No such file or directory`.
    static func call(_ name: String, errno code: Int32) -> FileError {
        FileError(description: "\(name): \(String(cString: strerror(code)))")
    }
}

/// The whole contents of a regular file, at most `limit` bytes, and its permission bits.
///
/// The file is opened without blocking, so a FIFO cannot stall the caller waiting for a writer;
/// anything but a regular file (a directory, FIFO, socket or device) is refused before a read,
/// and a file longer than `limit` is refused after reading `limit + 1` bytes, so nothing
/// unbounded (a huge file, a pseudo-file that reports size 0) is ever held in memory.
func readFileBytes(_ path: String, limit: Int) throws(FileError) -> (bytes: [UInt8], mode: mode_t) {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { throw .call("open", errno: errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .call("fstat", errno: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else {
        throw FileError(description: "it is \(fileKind(info.st_mode)), not a regular file")
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while bytes.count <= limit {
        let wanted = min(chunk.count, limit + 1 - bytes.count)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, wanted) }
        if count < 0 {
            if errno == EINTR { continue }
            throw .call("read", errno: errno)
        }
        if count == 0 { return (bytes, info.st_mode) }
        bytes.append(contentsOf: chunk[..<count])
    }
    throw FileError(description: "it is larger than \(limit) bytes")
}

/// The kind of a file that is not a regular one, in words.
private func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO"
    case S_IFSOCK: return "a socket"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    default: return "not a regular file (mode \(String(mode, radix: 8)))"
    }
}
