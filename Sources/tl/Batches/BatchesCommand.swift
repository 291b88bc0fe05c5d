import Foundation
import AnalyzeAPI
import ArgumentParser
import PlatformRules
import Preflight

/// `tl batches`: many videos analysed in one batch (`/analyze/batches`, Pegasus 1.5, asset sources only).
struct BatchesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batches",
        abstract: "Create, follow and manage analysis batches (many assets, one request).",
        discussion: """
            A batch analyses up to 1,000 ready assets with one model (pegasus1.5) and one analysis mode; \
            each item is also a task. The API key is read from TWELVE_LABS_API_KEY.

            Exit status: 0 success, 1 an API error or (wait, results) an item that did not succeed, \
            2 tool failure, 64 usage error or a batch that fails validation before it is sent.
            """,
        subcommands: [Create.self, List.self, Get.self, Results.self, Wait.self, Cancel.self, Delete.self]
    )

    /// One batch as readable lines.
    static func describe(_ batch: AnalyzeBatch) -> String {
        var lines = [
            "batch id:   \(batch.id)",
            "status:     \(batch.status)",
            "model:      \(batch.modelName) (\(batch.analysisMode))",
            "items:      \(batch.totalItems): \(batch.readyItems) ready, \(batch.failedItems) failed, \(batch.canceledItems) canceled, \(batch.processingItems) processing, \(batch.queuedItems) queued",
            "created:    \(CLI.date(batch.createdAt))",
            "expires:    \(CLI.date(batch.expiresAt))",
        ]
        if let at = batch.completedAt ?? batch.canceledAt ?? batch.expiredAt { lines.append("finished:   \(CLI.date(at))") }
        return lines.joined(separator: "\n")
    }

    /// Prints result items: a table, or JSON / JSON Lines; returns 1 when any item did not succeed.
    static func printResults(_ items: [BatchResultItem], format: OutputFormat) throws -> Int32 {
        if format.isJSON {
            CLI.printJSONList(try items.map { try SubmitOutput.json($0) }, key: "data", format: format)
        } else {
            CLI.out(CLI.table(["TASK ID", "CUSTOM ID", "STATUS", "RESULT OR ERROR"], items.map { item in
                let detail = item.data.map { result in
                    let line = result.data.replacingOccurrences(of: "\n", with: " ")
                    return line.count > 60 ? line.prefix(59) + "…" : line
                }
                    ?? item.error.map { "\($0.code ?? "error"): \($0.message)" } ?? "-"
                return [item.taskID, item.customID ?? "-", item.status.rawValue, detail]
            }))
        }
        return items.allSatisfy { $0.status == .ready } ? 0 : 1
    }

    /// `tl batches create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a batch over ready assets.",
            discussion: """
                Items come from --asset-id (one per id) or --from FILE.jsonl, one request per line in the \
                platform's shape: {"video": {"type": "asset_id", "asset_id": "..."}, "custom_id": "...", ...overrides}. \
                The other options are the batch's defaults. The batch is checked before it is sent \
                (1–1,000 requests, unique custom ids, each item's settings by the task rules); a failure exits 64.
                """)

        @OptionGroup var api: APIOptions

        @Option(name: .customLong("asset-id"), help: ArgumentHelp("A ready asset to analyse (repeatable).", valueName: "id"))
        var assetIDs: [String] = []

        @Option(help: ArgumentHelp("Requests, one JSON object per line ('-' for standard input).", valueName: "FILE.jsonl"), completion: .file())
        var from: String?

        @OptionGroup(title: "What to ask (the batch's defaults)") var settings: AnalysisOptions

        @Flag(help: "Wait until the batch finishes, then print its results.")
        var wait = false

        @Option(help: "With --wait, give up after this many seconds.")
        var timeout: Double = 24 * 3600

        @Option(name: .customLong("poll-interval"), help: "With --wait, the shortest pause between polls, in seconds.")
        var pollInterval: Double = 5

        func validate() throws {
            guard assetIDs.isEmpty != (from == nil) else { throw ValidationError("Give either --asset-id (one or more) or --from FILE.jsonl.") }
            try TasksCommand.checkIDs(assetIDs.isEmpty ? ["x"] : assetIDs, what: "asset")
            guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 seconds.") }
            guard pollInterval > 0, pollInterval.isFinite else { throw ValidationError("--poll-interval must be more than 0 seconds.") }
        }

        func run() async throws {
            try InputFile.checkOneStandardInput(settings.files + [("--from", from), ("--api-key-file", api.apiKeyFile)])
            let defaults = try settings.batchSettings()
            let items = try from.map(Self.items(in:)) ?? assetIDs.map { BatchItemRequest(assetID: $0) }
            let batch = CreateAnalyzeBatchRequest(
                modelName: settings.model ?? PlatformRules.current.batches.model,
                analysisMode: settings.mode, defaults: defaults, requests: items)
            try await api.withClient { client in
                let created: CreatedBatch
                do {
                    created = try await client.createBatch(batch)
                } catch let error as APIError where error.code == .validationFailed {
                    let errors = error.validationIssues.filter { $0.severity == .error }
                    for issue in errors { CLI.err("  \(issue.jsonPointer): \(issue.code): \(issue.message)") }
                    CLI.err("error: the batch was not sent: it fails validation")
                    if api.format.isJSON {
                        CLI.printJSON(JSONValue.object(["error": .object([
                            "code": .string(error.code.rawValue), "message": .string("the batch was not sent: it fails validation"),
                            "issues": .array(errors.map { issue in
                                .object(["pointer": .string(issue.jsonPointer), "code": .string(issue.code), "message": .string(issue.message)])
                            }),
                        ])]), format: api.format)
                    }
                    return 64
                }
                Console.note("batch: \(created.id) (\(created.totalItems) item\(created.totalItems == 1 ? "" : "s"); follow with: tl batches wait \(created.id))")
                guard wait else {
                    if api.format.isJSON {
                        CLI.printJSON(created, format: api.format)
                    } else {
                        CLI.out("batch \(created.id): \(created.status), \(created.totalItems) items, expires \(CLI.date(created.expiresAt))")
                        CLI.out(CLI.table(["TASK ID", "CUSTOM ID"], created.items.map { [$0.taskID, $0.customID ?? "-"] }))
                    }
                    return 0
                }
                return try await Wait.follow(created.id, client: client, timeout: timeout, pollInterval: pollInterval, format: api.format)
            }
        }

        /// The requests of a JSON Lines file; a bad line is a usage error naming it.
        static func items(in path: String) throws -> [BatchItemRequest] {
            let data = try InputFile.contents(of: path, option: "--from", what: "the requests file")
            var items: [BatchItemRequest] = []
            let name = path == "-" ? "standard input" : path
            for (number, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
                guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
                let at = "\(name) line \(number + 1) (--from)"
                guard let object = (try? JSONDecoder().decode(JSONValue.self, from: Data(line)))?.objectValue else {
                    throw UsageError("\(at) is not a JSON object.")
                }
                if let unknown = object.keys.sorted().first(where: { !BatchItemRequest.knownFields.contains($0) }) {
                    let hint = Spelling.closest(unknown, among: BatchItemRequest.knownFields.sorted()).map { " (did you mean '\($0)'?)" } ?? ""
                    throw UsageError("\(at) has an unknown key '\(unknown)'\(hint).")
                }
                do {
                    items.append(try WireCoding.decoder().decode(BatchItemRequest.self, from: Data(line)))
                } catch {
                    throw UsageError("\(at) is not a batch request (\(Self.reason(error))): each line is "
                        + "{\"video\": {\"type\": \"asset_id\", \"asset_id\": \"...\"}, \"custom_id\"?: \"...\", \"prompt\"?: {\"input_text\": \"...\"}, ...}.")
                }
            }
            guard !items.isEmpty else { throw UsageError("\(path) (--from) holds no requests.") }
            return items
        }

        /// Which key a decoding error is about, in wire spelling: "video: a batch item's video must be an asset_id".
        static func reason(_ error: any Error) -> String {
            guard let error = error as? DecodingError else { return "\(error)" }
            let (context, what): (DecodingError.Context?, String) = switch error {
            case .keyNotFound(let key, let context): (context, "\(key.stringValue) is missing")
            case .typeMismatch(_, let context): (context, "wrong type")
            case .valueNotFound(_, let context): (context, "a value is missing")
            case .dataCorrupted(let context): (context, context.debugDescription)
            @unknown default: (nil, "\(error)")
            }
            let path = context?.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") ?? ""
            return path.isEmpty ? what : "\(path): \(what)"
        }
    }
}
