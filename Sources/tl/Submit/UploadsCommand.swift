import AnalyzeAPI
import ArgumentParser
import Foundation
import Preflight
import Submission

/// `tl uploads`: the resume states of interrupted multipart uploads on this machine.
struct UploadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads",
        abstract: "List and clean the saved states of interrupted multipart uploads.",
        discussion: """
            A multipart upload saves its progress after every chunk in $XDG_CACHE_HOME/videopreflight/uploads \
            (else ~/.cache/videopreflight/uploads); running the same upload again sends only the missing chunks.
            """,
        subcommands: [List.self, Clean.self])

    static func age(_ date: Date, now: Date = Date()) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        switch seconds {
        case ..<120: return "\(seconds) s"
        case ..<7200: return "\(seconds / 60) min"
        case ..<172_800: return "\(seconds / 3600) h"
        default: return "\(seconds / 86400) d"
        }
    }

    /// `tl uploads list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List saved upload states: file, progress, age, and whether each can resume.",
            discussion: "--remote lists the server's incomplete upload sessions instead (GET /assets/multipart-uploads), from any machine.")

        @Flag(help: "List the server's incomplete upload sessions (needs the API key).")
        var remote = false

        @OptionGroup var api: APIOptions

        var format: OutputFormat { api.format }

        func run() async throws {
            if remote {
                try await api.withClient { client in
                    let sessions = try await PagingOptions.fetchAll { page, limit in
                        try await client.listIncompleteUploads(page: page, pageLimit: limit)
                    }.data
                    if format.isJSON {
                        if format == .jsonl {
                            for session in sessions { CLI.printJSON(session, format: .jsonl) }
                        } else {
                            CLI.printJSON(JSONValue.object([
                                "data": try SubmitOutput.json(sessions),
                                "page_info": try SubmitOutput.json(PageInfo.single(count: sessions.count)),
                            ]))
                        }
                    } else if sessions.isEmpty {
                        CLI.out("no incomplete uploads on the server")
                    } else {
                        CLI.out(CLI.table(["UPLOAD ID", "STATUS", "SIZE", "CHUNKS", "CREATED", "EXPIRES"], sessions.map {
                            [$0.uploadID, $0.status, Planner.grouped($0.totalSize), "\($0.totalChunks) × \(Planner.grouped($0.chunkSize))",
                             CLI.date($0.createdAt), CLI.date($0.expiresAt)]
                        }))
                    }
                    return 0
                }
                return
            }
            try local()
        }

        private func local() throws {
            let store = UploadStateStore.standard()
            let entries = store.entries()
            if format.isJSON {
                CLI.printJSON(JSONValue.object([
                    "directory": .string(store.directory.path),
                    "data": .array(entries.map { entry in
                        .object([
                            "state_file": .string(entry.url.path),
                            "file": entry.state.map { .string($0.identity.path) } ?? .null,
                            "upload_id": entry.state.map { .string($0.uploadID) } ?? .null,
                            "asset_id": entry.state.map { .string($0.assetID) } ?? .null,
                            "chunks_done": entry.state.map { .integer($0.finished.count) } ?? .null,
                            "total_chunks": entry.state.map { .integer($0.totalChunks) } ?? .null,
                            "saved_at": .string(RFC3339.string(from: entry.saved)),
                            "condition": .string(entry.condition.rawValue),
                        ])
                    }),
                ]), format: format)
                return
            }
            guard !entries.isEmpty else {
                CLI.out("no saved uploads in \(store.directory.path)")
                return
            }
            CLI.out(CLI.table(["FILE", "UPLOAD ID", "CHUNKS", "AGE", "CONDITION"], entries.map { entry in
                [entry.state?.identity.path ?? entry.url.lastPathComponent, entry.state?.uploadID ?? "-",
                 entry.state.map { "\($0.finished.count)/\($0.totalChunks)" } ?? "-", UploadsCommand.age(entry.saved),
                 entry.condition.rawValue.replacingOccurrences(of: "_", with: " ")]
            }))
        }
    }

    /// `tl uploads clean`.
    struct Clean: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove stale upload states.",
            discussion: """
                Stale: the file is gone or changed (it would be uploaded afresh), the state is unreadable, or it \
                is older than --older-than days (the platform's upload session has likely expired). --all removes \
                every state. Removing a state never touches the server; the session expires there by itself.
                """)

        @Option(name: .customLong("older-than"), help: "Also remove states saved more than this many days ago.")
        var olderThan: Double = 7

        @Flag(help: "Remove every saved state, resumable or not.")
        var all = false

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard olderThan >= 0, olderThan.isFinite else { throw ValidationError("--older-than must be 0 or more days.") }
        }

        func run() throws {
            let store = UploadStateStore.standard()
            let cutoff = Date().addingTimeInterval(-olderThan * 86_400)
            var removed = 0, kept = 0
            for entry in store.entries() {
                guard all || entry.condition != .resumable || entry.saved < cutoff else {
                    kept += 1
                    continue
                }
                do {
                    try store.remove(entry)
                    removed += 1
                    if !output.quiet {
                        CLI.out("removed \(entry.state?.identity.path ?? entry.url.lastPathComponent) (\(entry.condition.rawValue.replacingOccurrences(of: "_", with: " ")), \(UploadsCommand.age(entry.saved)) old)")
                    }
                } catch {
                    CLI.err("error: cannot remove \(entry.url.path): \(error.localizedDescription)")
                    throw ExitCode(2)
                }
            }
            CLI.out("\(removed) removed, \(kept) kept")
        }
    }
}
