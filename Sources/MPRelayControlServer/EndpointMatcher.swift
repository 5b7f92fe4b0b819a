import MPRelayCommon
import MPRelayConfig
import MPRelayControl

/// Pairs each configured endpoint with the address the broker bound for it.
///
/// The broker lists bound addresses, not which configuration entry each came from: an address is
/// bound as configured, except that a configured port 0 becomes the port the kernel chose.
enum EndpointMatcher {
    /// One report per configured address, in configuration order.
    static func reports(configured: [EndpointAddress], listening: [EndpointAddress], peerEndpoints: [String]) -> [EndpointReport] {
        var unmatched = listening
        let exact = Set(configured).intersection(listening)
        unmatched.removeAll { exact.contains($0) }
        return configured.map { address in
            var bound: EndpointAddress?
            if exact.contains(address) {
                bound = address
            } else if let index = unmatched.firstIndex(where: { binds(address, as: $0) }) {
                bound = unmatched.remove(at: index)
            }
            let boundText = bound?.description
            return EndpointReport(
                address: address.description,
                boundAddress: boundText,
                family: family(of: address),
                state: bound == nil ? .stopped : .listening,
                peers: boundText.map { text in peerEndpoints.count { $0 == text } } ?? 0
            )
        }
    }

    /// Whether `bound` is what binding `configured` (with port 0) gives.
    private static func binds(_ configured: EndpointAddress, as bound: EndpointAddress) -> Bool {
        switch (configured, bound) {
        case (.inet(let host, 0), .inet(let boundHost, _)), (.inet6(let host, 0), .inet6(let boundHost, _)):
            return host == boundHost
        default:
            return false
        }
    }

    private static func family(of address: EndpointAddress) -> String {
        switch address {
        case .inet: return "tcp"
        case .inet6: return "tcp6"
        case .unixPath: return "unix"
        case .unixAbstract: return "abstract"
        case .systemdSocket: return "systemd"
        }
    }
}
