import CMPRelayShims
import Glibc

// The C shims the public wrappers call, kept in this file so that the types of the wrappers'
// signatures (sockaddr, socklen_t) resolve through the public Glibc import, not the shims'.

/// `accept4(2)`, which glibc declares only under `_GNU_SOURCE`.
func acceptShim(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?, _ flags: Int32) -> Int32 {
    mprelay_accept4(fd, address, length, flags)
}

