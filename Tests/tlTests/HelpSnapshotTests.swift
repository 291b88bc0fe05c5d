import Foundation
import Testing

/// `tl --help` and every subcommand's help, against committed snapshots in `Golden/help/`, so that
/// a change to the interface is a visible diff. `UPDATE_HELP_SNAPSHOTS=1 swift test --filter
/// HelpSnapshotTests` rewrites them. The walk follows each SUBCOMMANDS section, so a new command
/// without a snapshot fails.
@Suite struct HelpSnapshotTests {
    static let directory = TLProcess.packageRoot.appendingPathComponent("Tests/tlTests/Golden/help")

    /// The subcommand names listed in a help text's SUBCOMMANDS section.
    static func subcommands(in help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[section.upperBound...].split(separator: "\n").prefix { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("See ") }
            .compactMap { line in line.hasPrefix("  ") && !line.hasPrefix("   ") ? line.split(separator: " ").first.map(String.init) : nil }
    }

    @Test func everyHelpMatchesItsSnapshot() async throws {
        let update = ProcessInfo.processInfo.environment["UPDATE_HELP_SNAPSHOTS"] == "1"
        if update { try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true) }
        var pending: [[String]] = [[]]
        var seen: [String] = []
        while let path = pending.popLast() {
            // COLUMNS is ignored off a terminal; ArgumentParser then wraps at 80, the same everywhere.
            let result = try await TLProcess.run(path + ["--help"])
            #expect(result.status == 0, "\(path): \(result.err)")
            let name = (["tl"] + path).joined(separator: "_") + ".txt"
            seen.append(name)
            let file = Self.directory.appendingPathComponent(name)
            if update {
                try result.out.write(to: file, atomically: true, encoding: .utf8)
            } else {
                let expected = try? String(contentsOf: file, encoding: .utf8)
                #expect(expected != nil, "no snapshot \(name): run UPDATE_HELP_SNAPSHOTS=1 swift test --filter HelpSnapshotTests")
                if let expected { #expect(result.out == expected, "tl \(path.joined(separator: " ")) --help changed; see \(name)") }
            }
            pending += Self.subcommands(in: result.out).filter { $0 != "help" }.map { path + [$0] }.reversed()
        }
        #expect(seen.count >= 15, "\(seen)")
        let committed = Set(((try? FileManager.default.contentsOfDirectory(atPath: Self.directory.path)) ?? []).filter { $0.hasSuffix(".txt") })
        #expect(committed == Set(seen), "snapshots of commands that no longer exist: \(committed.subtracting(seen).sorted())")
    }
}
