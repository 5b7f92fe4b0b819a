import CMPRelayShims
import Glibc
import MPRelayControl

/// Who is at the other end of an accepted AF_UNIX connection, as the kernel says: SO_PEERCRED for
/// the process, user and primary group, SO_PEERGROUPS for the supplementary groups.
struct PeerCredentials: Equatable, Sendable, CustomStringConvertible {
    let pid: Int32
    let uid: UInt32
    let gid: UInt32
    /// Supplementary groups; empty when the kernel cannot say (before Linux 4.13).
    let groups: [UInt32]

    /// The credentials of the peer of `fd`, or nil when the kernel gives none.
    static func of(_ fd: Int32) -> PeerCredentials? {
        var pid = pid_t()
        var uid = uid_t()
        var gid = gid_t()
        guard mprelay_peer_credentials(fd, &pid, &uid, &gid) == 0 else { return nil }
        return PeerCredentials(pid: pid, uid: uid, gid: gid, groups: supplementaryGroups(fd))
    }

    private static func supplementaryGroups(_ fd: Int32) -> [UInt32] {
        var groups = [gid_t](repeating: 0, count: 64)
        for _ in 0..<2 {
            var length = socklen_t(groups.count * MemoryLayout<gid_t>.size)
            if getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, &groups, &length) == 0 {
                return Array(groups.prefix(Int(length) / MemoryLayout<gid_t>.size))
            }
            guard errno == ERANGE else { return [] }
            groups = [gid_t](repeating: 0, count: Int(length) / MemoryLayout<gid_t>.size + 1)
        }
        return []
    }

    /// `pid 42 uid 1000 (alice)`, the form the daemon logs.
    var description: String {
        var text = "pid \(pid) uid \(uid)"
        if let name = Self.userName(uid) { text += " (\(name))" }
        return text
    }

    private static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return nil }
        return String(cString: name)
    }
}
