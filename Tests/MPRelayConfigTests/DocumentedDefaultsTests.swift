import Foundation
import MPRelayConfig
import Testing

/// docs/CONFIG.md must state the defaults and bounds the code really uses.
@Suite("Documented defaults")
struct DocumentedDefaultsTests {
    /// The rows of a table's section in docs/CONFIG.md: key -> (default, bounds).
    private func documentedRows(_ table: String = "broker") throws -> [String: (String, String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## `[\(table)]`").dropFirst().first)
        let body = section.components(separatedBy: "\n## ").first ?? section
        var rows: [String: (String, String)] = [:]
        for line in body.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            rows[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = (cells[2].replacingOccurrences(of: "`", with: ""), cells[3])
        }
        return rows
    }

    @Test func everyBrokerKeyIsDocumentedWithItsRealDefaultAndBounds() throws {
        let rows = try documentedRows()
        let defaults = BrokerConfig()
        for setting in BrokerConfig.settings {
            let row = try #require(rows[setting.key], "docs/CONFIG.md has no row for broker.\(setting.key)")
            #expect(row.0 == setting.defaultValue(defaults), "default of broker.\(setting.key)")
            #expect(row.1 == setting.bounds, "bounds of broker.\(setting.key)")
        }
        #expect(Set(rows.keys) == Set(BrokerConfig.settings.map(\.key)), "docs/CONFIG.md documents keys the code does not have")
    }

    @Test func everyControlKeyIsDocumentedWithItsRealDefaultAndBounds() throws {
        try expectDocumented("control", ControlConfig.settings, defaults: ControlConfig())
    }

    @Test func everyHTTPKeyIsDocumentedWithItsRealDefaultAndBounds() throws {
        try expectDocumented("http", HTTPConfig.settings, defaults: HTTPConfig())
    }

    @Test func everyClusterKeyIsDocumentedWithItsRealDefaultAndBounds() throws {
        try expectDocumented("cluster", ClusterConfig.settings, defaults: ClusterConfig(node: "node-1"))
    }

    /// Every key of `settings` has a row in the `[table]` section with its real default and
    /// bounds, and the section documents no other key.
    private func expectDocumented<Model>(_ table: String, _ settings: [Setting<Model>], defaults: Model) throws {
        let rows = try documentedRows(table)
        for setting in settings {
            let row = try #require(rows[setting.key], "docs/CONFIG.md has no row for \(table).\(setting.key)")
            #expect(row.0 == setting.defaultValue(defaults), "default of \(table).\(setting.key)")
            #expect(row.1 == setting.bounds, "bounds of \(table).\(setting.key)")
        }
        #expect(Set(rows.keys) == Set(settings.map(\.key)), "docs/CONFIG.md documents [\(table)] keys the code does not have")
    }
}
