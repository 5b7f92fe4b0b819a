import Glibc

/// A file that could not be read, and why: the failed call and its errno text, or what kind of
/// file it is instead of a regular one. Callers add the path and the setting that named it.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Why, e.g. `open: No such file or directory` or `it is a directory, not a regular file`.
    public let description: String

    /// An error that says `description`.
    public init(description: String) {
        self.description = description
    }

    /// A failed system call.
    public init(_ failure: SystemCallError) {
        self.init(description: failure.description)
    }
}
