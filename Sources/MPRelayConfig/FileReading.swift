import Glibc

/// A failed file operation: the errno text, or why the file itself was refused.
struct FileError: Error, CustomStringConvertible {
    let operation: String
    let errno: Int32
    /// Set when the file was refused for what it is rather than for a failed call.
    let refusal: String?

    init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
        self.refusal = nil
    }

    init(refusal: String) {
        self.operation = ""
        self.errno = 0
        self.refusal = refusal
    }

    var description: String { refusal ?? "\(operation): \(String(cString: strerror(errno)))" }
}

/// The largest configuration or key file read, in bytes.
let fileReadLimit = 1 << 20

/// The whole contents of a regular file of at most ``fileReadLimit`` bytes, and its permission
/// bits.
///
/// The file is opened without blocking and checked before anything is read, so a FIFO (whose
/// open would wait for a writer forever), a device such as `/dev/zero` (which never ends), a
/// socket or a directory is refused at once, as is a file larger than the limit.
func readFileBytes(_ path: String) throws(FileError) -> (bytes: [UInt8], mode: mode_t) {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    guard fd >= 0 else { throw FileError(operation: "open", errno: errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileError(operation: "fstat", errno: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else {
        throw FileError(refusal: "it is \(fileKind(info.st_mode)), not a regular file")
    }
    guard info.st_size <= fileReadLimit else {
        throw FileError(refusal: "it is \(info.st_size) bytes long, more than the \(fileReadLimit) read at most")
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw FileError(operation: "read", errno: errno)
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[..<count])
        guard bytes.count <= fileReadLimit else {
            throw FileError(refusal: "it holds more than the \(fileReadLimit) bytes read at most")
        }
    }
    return (bytes, info.st_mode)
}

/// What a `st_mode` says a file is, for refusals.
private func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    case S_IFLNK: return "a symbolic link"
    default: return "a file of type \(String(mode & S_IFMT, radix: 8))"
    }
}
