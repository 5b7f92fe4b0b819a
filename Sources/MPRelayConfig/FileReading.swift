import Glibc

/// A failed file operation, with the errno text.
struct FileError: Error, CustomStringConvertible {
    let operation: String
    let errno: Int32

    var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// The whole contents of a regular file and its permission bits.
func readFileBytes(_ path: String) throws(FileError) -> (bytes: [UInt8], mode: mode_t) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileError(operation: "open", errno: errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileError(operation: "fstat", errno: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else { throw FileError(operation: "not a regular file", errno: EINVAL) }
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
    }
    return (bytes, info.st_mode)
}
