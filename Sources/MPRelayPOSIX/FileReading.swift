public import Glibc

/// The whole contents of a regular file, at most `limit` bytes, and its permission bits.
///
/// The file is opened without blocking, so a FIFO cannot stall the caller waiting for a writer;
/// anything but a regular file (a directory, FIFO, socket or device) is refused before a read,
/// and a file longer than `limit` is refused after reading `limit + 1` bytes, so nothing
/// unbounded (a huge file, a pseudo-file that reports size 0) is ever held in memory.
///
/// - Throws: ``FileError`` saying which call failed, or what the file is instead.
public func readFileBytes(_ path: String, limit: Int) throws(FileError) -> (bytes: [UInt8], mode: mode_t) {
    let fd = try failingAsFile { () throws(SystemCallError) in try SystemCall.open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY) }
    defer { SystemCall.close(fd) }
    let info = try failingAsFile { () throws(SystemCallError) in try SystemCall.status(fd) }
    guard info.st_mode & S_IFMT == S_IFREG else {
        throw FileError(description: "it is \(fileKind(info.st_mode)), not a regular file")
    }
    var bytes: [UInt8] = []
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 1)
    defer { chunk.deallocate() }
    while bytes.count <= limit {
        let wanted = UnsafeMutableRawBufferPointer(rebasing: chunk[..<min(chunk.count, limit + 1 - bytes.count)])
        // A regular file never answers EAGAIN, O_NONBLOCK or not.
        let count = try failingAsFile { () throws(SystemCallError) in try SystemCall.read(fd, into: wanted) ?? 0 }
        if count == 0 { return (bytes, info.st_mode) }
        bytes.append(contentsOf: wanted[..<count])
    }
    throw FileError(description: "it is larger than \(limit) bytes")
}

/// The result of `body`, its failure as a ``FileError``.
private func failingAsFile<Result>(_ body: () throws(SystemCallError) -> Result) throws(FileError) -> Result {
    do {
        return try body()
    } catch {
        throw FileError(error)
    }
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
