import Foundation
import AnalyzeAPI
import ArgumentParser

/// `--status` of `tl batches list`.
enum BatchStatusOption: String, ExpressibleByArgument, CaseIterable {
    case pending, processing, canceling, canceled, completed, expired

    var status: BatchStatus { BatchStatus(rawValue: rawValue) }
}

extension BatchesCommand {
    /// `tl batches list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List batches, newest first.",
            discussion: "Exit status: 0 success (an empty list included), 1 --page past the last page or an API error.")

        @OptionGroup var api: APIOptions

        @Option(help: "Only batches in this status (repeatable: any of them).")
        var status: [BatchStatusOption] = []

        @Option(name: .customLong("analysis-mode"), help: "Only batches in this analysis mode (repeatable).")
        var analysisMode: [AnalysisModeOption] = []

        @OptionGroup var paging: PagingOptions

        func run() async throws {
            try await api.withClient { client in
                let batches = try await paging.fetch { page, limit in
                    try await client.listBatches(page: page, pageLimit: limit, status: status.map(\.status), analysisModes: analysisMode.map(\.rawValue))
                }
                return try paging.print(batches, noun: "batch", format: api.format) { batches in
                    CLI.table(["BATCH ID", "STATUS", "MODE", "ITEMS", "READY", "FAILED", "CREATED"], batches.map {
                        [$0.id, $0.status.rawValue, $0.analysisMode, String($0.totalItems), String($0.readyItems), String($0.failedItems), CLI.date($0.createdAt)]
                    })
                }
            }
        }
    }

    /// `tl batches get`.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show batches: status and item counts.")

        @OptionGroup var api: APIOptions

        @Argument(help: "Batch ids.")
        var ids: [String] = []

        func validate() throws { try TasksCommand.checkIDs(ids, what: "batch") }

        func run() async throws {
            try await api.withClient { client in
                try await TasksCommand.each(ids, format: api.format, idKey: "batch_id") { id in
                    let batch = try await client.retrieveBatch(id)
                    guard case .object(let json) = try SubmitOutput.json(batch) else { return ([:], "") }
                    return (json, BatchesCommand.describe(batch))
                }
            }
        }
    }

    /// `tl batches results`.
    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each item of a batch: its status, and its result or error once it has one.",
            discussion: """
                Readable while the batch runs. -f jsonl prints one item per line, in the platform's result shape. \
                Exit status: 0 when every item is ready, 1 otherwise (or on an API error).
                """)

        @OptionGroup var api: APIOptions

        @Argument(help: "The batch id.")
        var id: String

        func validate() throws { try TasksCommand.checkIDs([id], what: "batch") }

        func run() async throws {
            try await api.withClient { client in
                try BatchesCommand.printResults(try await client.batchResults(id), format: api.format)
            }
        }
    }

    /// `tl batches wait`.
    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until a batch finishes (completed, canceled or expired), then print its results.",
            discussion: "Exit status: 0 when every item is ready, 1 when any failed or was canceled, or the wait timed out.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The batch id.")
        var id: String

        @Option(help: "Give up after this many seconds.")
        var timeout: Double = 24 * 3600

        @Option(name: .customLong("poll-interval"), help: "Shortest pause between polls, in seconds.")
        var pollInterval: Double = 5

        func validate() throws {
            try TasksCommand.checkIDs([id], what: "batch")
            guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 seconds.") }
            guard pollInterval > 0, pollInterval.isFinite else { throw ValidationError("--poll-interval must be more than 0 seconds.") }
        }

        func run() async throws {
            try await api.withClient { client in
                try await Self.follow(id, client: client, timeout: timeout, pollInterval: pollInterval, format: api.format)
            }
        }

        /// Waits for batch `id` with a progress line, then prints its results; the exit status.
        static func follow(_ id: String, client: AnalyzeClient, timeout: Double, pollInterval: Double, format: OutputFormat) async throws -> Int32 {
            let options = WaitOptions(
                minimumInterval: .seconds(double: pollInterval), maximumInterval: .seconds(double: max(pollInterval, 60)),
                timeout: .seconds(double: timeout))
            let outcome = try await client.waitForBatch(id, options: options) { batch in
                CLI.progress("batch \(batch.id): \(batch.status), \(batch.finishedItems) of \(batch.totalItems) items finished")
            }
            CLI.endProgress()
            guard case .finished(let batch) = outcome else {
                let seen = outcome.batch.map { "\($0.status), \($0.finishedItems) of \($0.totalItems) items finished" } ?? "never seen"
                CLI.printError("batch \(id) did not finish within \(String(format: "%g", timeout)) s (\(seen)); follow with: tl batches wait \(id)",
                               code: "timed_out", format: format, error: nil)
                return 1
            }
            Console.note("batch \(batch.id): \(batch.status), \(batch.readyItems) ready, \(batch.failedItems) failed, \(batch.canceledItems) canceled")
            return try BatchesCommand.printResults(try await client.batchResults(id), format: format)
        }
    }

    /// `tl batches cancel`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel batches: queued items are canceled, processing ones finish.",
            discussion: "Each id is tried in turn; exit 1 when any could not be canceled.")

        @OptionGroup var api: APIOptions

        @Argument(help: "Batch ids.")
        var ids: [String] = []

        func validate() throws { try TasksCommand.checkIDs(ids, what: "batch") }

        func run() async throws {
            try await api.withClient { client in
                try await TasksCommand.each(ids, format: api.format, idKey: "batch_id") { id in
                    let batch = try await client.cancelBatch(id)
                    return (["batch_id": .string(batch.id), "status": .string(batch.status.rawValue)], "\(batch.id)  \(batch.status)")
                }
            }
        }
    }

    /// `tl batches delete`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete finished batches and their tasks.",
            discussion: "Only a completed, canceled or expired batch can be deleted. Each id is tried in turn; exit 1 when any could not be deleted.")

        @OptionGroup var api: APIOptions

        @Argument(help: "Batch ids.")
        var ids: [String] = []

        func validate() throws { try TasksCommand.checkIDs(ids, what: "batch") }

        func run() async throws {
            try await api.withClient { client in
                try await TasksCommand.each(ids, format: api.format, idKey: "batch_id") { id in
                    try await client.deleteBatch(id)
                    return (["batch_id": .string(id), "deleted": .bool(true)], "\(id)  deleted")
                }
            }
        }
    }
}
