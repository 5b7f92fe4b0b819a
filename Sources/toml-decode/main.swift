import Glibc
import MPRelayPOSIX
import MPRelayTOML

// Decodes TOML documents streamed on stdin and prints each as one line of JSON, for the
// differential test against CPython's tomllib (Tests/toml-differential).
//
// Input: any number of documents, each as its length in bytes in decimal, a line feed, then the
// bytes. Output, one line per document: {"ok": VALUE} with VALUE in the tagged JSON form of the
// toml-test suite ({"type": "integer", "value": "1"}, tables as objects, arrays as arrays), or
// {"error": "LINE:COLUMN: message"}.

var input = StandardInput()
var output: [UInt8] = []
while let length = input.lengthLine() {
    let document = input.read(count: length)
    output.removeAll(keepingCapacity: true)
    do {
        let table = try TOMLTable(parsing: document)
        output.append(contentsOf: Array("{\"ok\": ".utf8))
        TaggedJSON.append(.table(table), to: &output)
        output.append(UInt8(ascii: "}"))
    } catch {
        output.append(contentsOf: Array("{\"error\": ".utf8))
        TaggedJSON.appendString(error.description, to: &output)
        output.append(UInt8(ascii: "}"))
    }
    output.append(UInt8(ascii: "\n"))
    writeAll(output)
}

/// Writes every byte to stdout, or exits when stdout is gone.
func writeAll(_ bytes: [UInt8]) {
    guard bytes.withUnsafeBytes({ DescriptorWrite.all($0, to: STDOUT_FILENO) }) else { exit(1) }
}
