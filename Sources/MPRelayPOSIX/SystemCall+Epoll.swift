// `struct epoll_event` reaches Swift through the shims' header only (it is packed on x86_64).
public import CMPRelayShims

extension SystemCall {
    /// Waits for events on the epoll instance `epfd` (`epoll_wait(2)`), at most `timeout`
    /// milliseconds: the number of `events` filled.
    ///
    /// - Throws: ``SystemCallError`` of `epoll_wait`.
    public static func epollWait(
        _ epfd: Int32,
        _ events: UnsafeMutablePointer<epoll_event>,
        capacity: Int32,
        timeout: Int32
    ) throws(SystemCallError) -> Int {
        Int(try blocking("epoll_wait") { mprelay_epoll_wait(epfd, events, capacity, timeout) })
    }
}
