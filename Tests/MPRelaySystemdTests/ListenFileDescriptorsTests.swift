import Glibc
import MPRelaySystemd
import Testing

@Suite
struct ListenFileDescriptorsClaimTests {
    @Test func claimTakesTheNamedSocketAndMakesItNonblocking() throws {
        let relay = try TestSocket()
        let spare = try TestSocket()
        var passed = ListenFileDescriptors(sockets: [
            .init(name: "relay", fd: relay.fd),
            .init(name: "spare", fd: spare.fd),
        ])
        #expect(!relay.isNonblocking)
        let claimed = try passed.claim("relay")
        #expect(claimed == [.init(name: "relay", fd: relay.fd)])
        #expect(relay.isNonblocking)
        #expect(fcntl(relay.fd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(passed.unclaimed == [.init(name: "spare", fd: spare.fd)])
        #expect(passed.sockets.count == 2)
    }

    @Test func leftoverSocketsAreAStartupErrorSayingWhatToAdd() throws {
        let relay = try TestSocket()
        let spare = try TestSocket()
        var passed = ListenFileDescriptors(sockets: [
            .init(name: "relay", fd: relay.fd),
            .init(name: "spare", fd: spare.fd),
        ])
        _ = try passed.claim("relay")
        let error = #expect(throws: SystemdError.unclaimedSockets) { try passed.checkAllClaimed() }
        let text = error?.description ?? ""
        #expect(text.contains("\"spare\" (fd \(spare.fd), 127.0.0.1:\(spare.port))"), "\(text)")
        #expect(text.contains("socket = \"spare\""), "\(text)")
        #expect(!text.contains("\"relay\""), "\(text)")
        _ = try passed.claim("spare")
        try passed.checkAllClaimed()
    }

    @Test func aNameNotPassedIsAnErrorListingThePassedNames() throws {
        let relay = try TestSocket()
        var passed = ListenFileDescriptors(sockets: [.init(name: "relay", fd: relay.fd)])
        let error = #expect(throws: SystemdError.socketNotPassed) { try passed.claim("activation") }
        #expect(error?.description.contains("socket = \"activation\"") == true)
        #expect(error?.description.contains("passed only \"relay\"") == true)
        #expect(error?.description.contains("FileDescriptorName=activation") == true)
    }

    @Test func withNothingPassedTheErrorSaysSoAndHowToFixIt() {
        var passed = ListenFileDescriptors(sockets: [])
        let error = #expect(throws: SystemdError.socketNotPassed) { try passed.claim("activation") }
        #expect(error?.description.contains("not socket-activated") == true)
        #expect(throws: Never.self) { try passed.checkAllClaimed() }
    }

    @Test func aNameServesOneEndpoint() throws {
        let relay = try TestSocket()
        var passed = ListenFileDescriptors(sockets: [.init(name: "relay", fd: relay.fd)])
        _ = try passed.claim("relay")
        #expect(throws: SystemdError.socketAlreadyClaimed) { try passed.claim("relay") }
    }

    @Test func socketsSharingANameAreClaimedTogether() throws {
        let first = try TestSocket()
        let second = try TestSocket()
        var passed = ListenFileDescriptors(sockets: [
            .init(name: "relay", fd: first.fd),
            .init(name: "relay", fd: second.fd),
        ])
        #expect(passed.names == ["relay"])
        #expect(try passed.claim("relay").map(\.fd) == [first.fd, second.fd])
        #expect(passed.unclaimed.isEmpty)
    }

    @Test func aDatagramSocketIsRefused() throws {
        let datagram = try TestSocket(datagram: ())
        var passed = ListenFileDescriptors(sockets: [.init(name: "relay", fd: datagram.fd)])
        let error = #expect(throws: SystemdError.notAListeningStreamSocket) { try passed.claim("relay") }
        #expect(error?.description.contains("ListenStream=") == true)
    }

    @Test func aStreamSocketThatDoesNotListenIsRefused() throws {
        let bound = try TestSocket(tcpListening: false)
        var passed = ListenFileDescriptors(sockets: [.init(name: "relay", fd: bound.fd)])
        #expect(throws: SystemdError.notAListeningStreamSocket) { try passed.claim("relay") }
        #expect(passed.unclaimed.count == 1)
    }

    @Test func localAddressNamesASocketFile() throws {
        var template = Array("/tmp/mprelay-listen-XXXXXX".utf8CString)
        let directory = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        let path = directory + "/relay.sock"
        defer { unlink(path); rmdir(directory) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(fd, 4) == 0)
        #expect(ListenFileDescriptors.Socket(name: "relay", fd: fd).localAddress == path)
    }
}

extension ProcessEnvironmentTests {
    @Suite
    struct ListenFileDescriptorsEnvironmentTests {
        @Test func notSocketActivatedMeansNoSockets() throws {
            try withEnvironment(["LISTEN_PID": nil, "LISTEN_FDS": nil, "LISTEN_FDNAMES": nil]) {
                let passed = try ListenFileDescriptors.inherited()
                #expect(passed.sockets.isEmpty)
                try passed.checkAllClaimed()
            }
        }

        @Test func socketsPassedToAnotherProcessAreNotOurs() throws {
            try withEnvironment(["LISTEN_PID": "\(getpid() + 1)", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "a:b"]) {
                let passed = try ListenFileDescriptors.inherited()
                #expect(passed.sockets.isEmpty)
                #expect(getenv("LISTEN_FDS") == nil, "the variables are removed so no child inherits them")
            }
        }

        @Test func malformedVariablesAreAnError() throws {
            withEnvironment(["LISTEN_PID": "\(getpid())", "LISTEN_FDS": "two", "LISTEN_FDNAMES": nil]) {
                let error = #expect(throws: SystemdError.listenFileDescriptorsFailed) { try ListenFileDescriptors.inherited() }
                #expect(error?.description.contains("LISTEN_FDS") == true)
            }
        }

        /// Run by Tests/systemd as the service of a transient systemd socket unit
        /// (`ListenStream=PATH`, `FileDescriptorName=NAME`) with `MPRELAY_TEST_EXPECT_SOCKET=NAME:PATH`:
        /// real descriptor passing, from fd 3.
        @Test(.enabled(if: getenv("MPRELAY_TEST_EXPECT_SOCKET") != nil, "only when Tests/systemd passes a socket from a systemd socket unit"))
        func socketsPassedBySystemdAreFoundByName() throws {
            let expected = String(cString: try #require(getenv("MPRELAY_TEST_EXPECT_SOCKET")))
            let colon = try #require(expected.firstIndex(of: ":"))
            let name = String(expected[..<colon])
            let path = String(expected[expected.index(after: colon)...])
            var passed = try ListenFileDescriptors.inherited()
            #expect(getenv("LISTEN_FDS") == nil)
            #expect(passed.names == [name])
            let claimed = try passed.claim(name)
            #expect(claimed.map(\.fd) == [3])
            #expect(claimed.first?.localAddress == path)
            try passed.checkAllClaimed()
            print("MPRELAY-SOCKET-ACTIVATION-OK \(name) fd \(claimed[0].fd) \(claimed[0].localAddress)")
        }
    }
}
