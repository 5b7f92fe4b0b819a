import Foundation
import Glibc
import MPRelayCommon
import MPRelayConfig
import Testing

/// Files of any content and kind give a configuration or a ConfigError that names the file and
/// where in it the problem is; none traps or blocks.
@Suite("Config files")
struct ConfigFileTests {
    let loader = ConfigLoader(environment: [:])

    private func parseError(_ text: String) -> ConfigError? {
        do {
            _ = try loader.parse(text, file: "bad.toml")
            return nil
        } catch {
            return error
        }
    }

    private func loadError(_ path: String) -> ConfigError? {
        do {
            _ = try loader.load(path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func keyErrorsCarryTheLineAndColumnOfTheKey() {
        let text = "[broker]\n  max_message_bytes = 0\n[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey = \"k\"\n"
        #expect(throws: ConfigError(file: "c.toml", line: 2, column: 3, key: "broker.max_message_bytes", message: "0 is out of range: expected 1 to 1073741824")) {
            try loader.parse(text, file: "c.toml")
        }
        let error = ConfigError(file: "c.toml", line: 2, column: 3, key: "broker.max_message_bytes", message: "wrong")
        #expect(error.description == "c.toml:2:3: broker.max_message_bytes: wrong")
        #expect(ConfigError(file: "c.toml", key: "", message: "unreadable").description == "c.toml: unreadable")
    }

    @Test func missingKeysPointAtTheirTable() {
        #expect(throws: ConfigError(file: "c.toml", line: 2, column: 3, key: "endpoint[1].address", message: "missing: every endpoint needs an address (or socket = \"NAME\" under systemd)")) {
            try loader.parse("# endpoints\n[[endpoint]]\nauthkey = \"k\"\n", file: "c.toml")
        }
        #expect(throws: ConfigError(file: "c.toml", line: 1, column: 1, key: "endpoint", message: "no [[endpoint]] table: the broker would listen nowhere")) {
            try loader.parse("", file: "c.toml")
        }
    }

    @Test func theInputsThatAbortedTOMLKitAreSyntaxErrors() {
        for (text, column) in [("[=\n", 2), ("b=[1,}\n", 6), ("t=1979-05-27T:\n", 13)] {
            let error = parseError(text)
            #expect(error?.line == 1 && error?.column == column, "\(String(describing: error))")
            #expect(error?.description.hasPrefix("bad.toml:1:\(column): ") == true, "\(String(describing: error))")
        }
    }

    @Test func nulCharactersAreRefusedExceptToStartAnAbstractAddress() throws {
        let abstract = try loader.parse("[[endpoint]]\naddress = \"\\u0000relay\"\nauthkey = \"k\"\n", file: "c.toml")
        #expect(abstract.endpoints[0].address == .unixAbstract("relay"))
        let pattern = "[[principal]]\nname = \"p\"\nauthkey = \"k\"\nmay_register = [\"w-*\\u0000\"]\n[[endpoint]]\naddress = \"@r\"\nprincipals = [\"p\"]\n"
        #expect(parseError(pattern)?.key == "principal[1].may_register[1]")
        #expect(parseError(pattern)?.message.contains("NUL") == true)
    }

    @Test func binaryAndEmptyFilesAreRefusedWithAPosition() {
        let directory = TemporaryDirectory()
        let binary = directory.path + "/binary.toml"
        #expect(FileManager.default.createFile(atPath: binary, contents: Data([0x61, 0x3D, 0xFF, 0x00, 0xC3])))
        #expect(loadError(binary)?.description.hasPrefix("\(binary):1:3: ") == true)
        let empty = directory.write("empty.toml", "")
        #expect(loadError(empty)?.key == "endpoint")
    }

    @Test func directoriesFIFOsAndHugeFilesAreRefusedWithoutReading() {
        let directory = TemporaryDirectory()
        #expect(loadError(directory.path)?.message.contains("a directory, not a regular file") == true)
        let fifo = directory.path + "/fifo.toml"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(loadError(fifo)?.message.contains("a FIFO, not a regular file") == true, "a FIFO with no writer must not block")
        let huge = directory.write("huge.toml", "# " + String(repeating: "x", count: ConfigLoader.maximumFileBytes) + "\n")
        #expect(loadError(huge)?.message.contains("larger than \(ConfigLoader.maximumFileBytes) bytes") == true)
    }

    @Test func keyFilesThatAreNotSmallRegularFilesAreRefused() {
        let directory = TemporaryDirectory()
        let fifo = directory.path + "/fifo.key"
        #expect(mkfifo(fifo, 0o600) == 0)
        let huge = directory.write("huge.key", String(repeating: "k", count: Authkey.maximumFileBytes + 1))
        for (path, fragment) in [(directory.path, "a directory"), (fifo, "a FIFO"), (huge, "larger than")] {
            let text = "[[endpoint]]\naddress = \"127.0.0.1:1\"\nauthkey_file = \"\(path)\"\n"
            do {
                _ = try loader.parse(text, file: "c.toml")
                Issue.record("\(path) was accepted as a key file")
            } catch {
                #expect(error.key == "endpoint[1].authkey_file" && error.line == 3, "\(error)")
                #expect(error.message.contains(path) && error.message.contains(fragment), "\(error)")
            }
        }
    }
}
