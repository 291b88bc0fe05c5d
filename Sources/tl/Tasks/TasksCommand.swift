import AnalyzeAPI
import ArgumentParser
import Foundation
import Synchronization

/// `tl tasks`: list, inspect, wait for, delete and cancel analysis tasks.
struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List, inspect, wait for, delete and cancel analysis tasks.",
        discussion: """
            The API key is read from TWELVE_LABS_API_KEY; the base URL from --base-url, else TWELVELABS_BASE_URL.

            Exit status: 0 success, 1 the operation or a task failed, 2 tool failure, \
            64 usage error (including a missing TWELVE_LABS_API_KEY). \
            Transient failures are retried (see --retries).
            """,
        subcommands: [List.self, Get.self, Wait.self, Delete.self, Cancel.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tasks, newest first.")

        @OptionGroup var api: APIOptions

        @Option(help: "Only tasks in this status (queued, pending, processing, ready, failed, canceled).")
        var status: String?

        @Option(name: .customLong("video-url"), help: "Only tasks on this video URL.")
        var videoURL: String?

        @Option(name: .customLong("asset-id"), help: "Only tasks on this asset.")
        var assetID: String?

        @Option(help: "Page to show, from 1.")
        var page: Int = 1

        @Option(name: .customLong("page-limit"), help: "Tasks per page, 1–50.")
        var pageLimit: Int = 10

        @Flag(help: "Fetch every page.")
        var all = false

        func validate() throws {
            guard page >= 1 else { throw ValidationError("--page must be 1 or more.") }
            guard (1...50).contains(pageLimit) else { throw ValidationError("--page-limit must be between 1 and 50.") }
            if all && page != 1 { throw ValidationError("--all and --page cannot be combined.") }
        }

        func run() async throws {
            let status = self.status.map(TaskStatus.init(rawValue:))
            try await api.withClient { client in
                if all {
                    var tasks: [AnalyzeTask] = []
                    for try await task in client.allTasks(pageLimit: pageLimit, status: status, videoURL: videoURL, assetID: assetID) {
                        tasks.append(task)
                    }
                    if api.format == .json {
                        CLI.printJSON(JSONValue.object([
                            "data": try JSONDecoder().decode(JSONValue.self, from: WireCoding.encoder().encode(tasks)),
                            "total_results": .integer(tasks.count),
                        ]))
                    } else {
                        CLI.out(Self.render(tasks))
                        CLI.out("\(tasks.count) task\(tasks.count == 1 ? "" : "s")")
                    }
                } else {
                    let result = try await client.listTasks(
                        page: page, pageLimit: pageLimit, status: status, videoURL: videoURL, assetID: assetID)
                    if api.format == .json {
                        CLI.printJSON(result)
                    } else {
                        CLI.out(Self.render(result.data))
                        let info = result.pageInfo
                        CLI.out("page \(info.page) of \(info.totalPage), \(info.totalResults) task\(info.totalResults == 1 ? "" : "s")")
                    }
                }
                return 0
            }
        }

        static func render(_ tasks: [AnalyzeTask]) -> String {
            CLI.table(
                ["TASK ID", "STATUS", "CREATED", "COMPLETED", "CUSTOM ID"],
                tasks.map { [$0.id, $0.status.rawValue, CLI.date($0.createdAt), CLI.date($0.completedAt), $0.customID ?? "-"] })
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one task, with its result when ready.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The task id.")
        var id: String

        func run() async throws {
            try await api.withClient { client in
                let task = try await client.retrieveTask(id)
                if api.format == .json { CLI.printJSON(task) } else { CLI.out(TasksCommand.describe(task)) }
                return 0
            }
        }
    }

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until tasks finish.",
            discussion: "Exits 0 when every task is ready, 1 when any failed, was canceled or timed out.")

        @OptionGroup var api: APIOptions

        @Argument(help: "Task ids.")
        var ids: [String]

        @Option(help: "Give up after this many seconds.")
        var timeout: Double = 3600

        @Option(name: .customLong("poll-interval"), help: "Shortest pause between polls of one task, in seconds.")
        var pollInterval: Double = 2

        func validate() throws {
            guard !ids.isEmpty else { throw ValidationError("Give at least one task id.") }
            guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds.") }
            guard pollInterval > 0 else { throw ValidationError("--poll-interval must be more than 0 seconds.") }
        }

        func run() async throws {
            let statuses = Mutex([String: String]())
            let ids = self.ids
            let options = WaitOptions(
                minimumInterval: .seconds(double: pollInterval),
                maximumInterval: .seconds(double: max(pollInterval, 30)),
                timeout: .seconds(double: timeout),
                onUpdate: { task in
                    let line = statuses.withLock { statuses -> String in
                        statuses[task.id] = task.status.rawValue
                        let counts = Dictionary(grouping: statuses.values, by: { $0 }).mapValues(\.count)
                        return "waiting for \(ids.count) task\(ids.count == 1 ? "" : "s"): "
                            + counts.keys.sorted().map { "\(counts[$0]!) \($0)" }.joined(separator: ", ")
                    }
                    CLI.progress(line)
                })
            try await api.withClient { client in
                let outcomes = try await withThrowingTaskGroup(of: (Int, Result<WaitOutcome, APIError>).self) { group in
                    for (index, id) in ids.enumerated() {
                        group.addTask {
                            do {
                                return (index, .success(try await client.waitForTask(id, options: options)))
                            } catch let error as APIError {
                                return (index, .failure(error))
                            }
                        }
                    }
                    var results = [Result<WaitOutcome, APIError>?](repeating: nil, count: ids.count)
                    for try await (index, result) in group { results[index] = result }
                    return results.map { $0! }
                }
                CLI.endProgress()
                var allReady = true
                var json: [JSONValue] = []
                for (id, outcome) in zip(ids, outcomes) {
                    switch outcome {
                    case .success(let outcome):
                        if case .ready = outcome {} else { allReady = false }
                        var entry: [String: JSONValue] = ["task_id": .string(id), "outcome": .string(outcome.name)]
                        if let task = outcome.task {
                            entry["task"] = try JSONDecoder().decode(JSONValue.self, from: WireCoding.encoder().encode(task))
                        }
                        json.append(.object(entry))
                        if api.format == .text {
                            CLI.out("\(id)  \(outcome.name)")
                            if let task = outcome.task, outcome.name != "timed_out" {
                                if let data = task.result?.data { CLI.out(data) }
                                if let error = task.error { CLI.out("  \(error.code ?? "error"): \(error.message)") }
                            }
                        }
                    case .failure(let error):
                        allReady = false
                        json.append(.object([
                            "task_id": .string(id), "outcome": .string("error"),
                            "error": .object(["code": .string(error.code.rawValue), "message": .string(error.description)]),
                        ]))
                        if api.format == .text { CLI.out("\(id)  error: \(error)") }
                    }
                }
                if api.format == .json { CLI.printJSON(JSONValue.object(["results": .array(json)])) }
                return allReady ? 0 : 1
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a finished task.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The task id.")
        var id: String

        func run() async throws {
            try await api.withClient { client in
                try await client.deleteTask(id)
                if api.format == .json {
                    CLI.printJSON(JSONValue.object(["task_id": .string(id), "deleted": .bool(true)]))
                } else {
                    CLI.out("deleted \(id)")
                }
                return 0
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an unfinished task.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The task id.")
        var id: String

        func run() async throws {
            try await api.withClient { client in
                let reference = try await client.cancelTask(id)
                if api.format == .json { CLI.printJSON(reference) } else { CLI.out("\(reference.id)  \(reference.status)") }
                return 0
            }
        }
    }

    static func describe(_ task: AnalyzeTask) -> String {
        var lines = [
            "task id:    \(task.id)",
            "status:     \(task.status)",
            "created:    \(CLI.date(task.createdAt))",
            "completed:  \(CLI.date(task.completedAt))",
        ]
        if let customID = task.customID { lines.append("custom id:  \(customID)") }
        if let error = task.error { lines.append("error:      \(error.code.map { "\($0): " } ?? "")\(error.message)") }
        if let result = task.result {
            lines.append("finish:     \(result.finishReason?.rawValue ?? "-")")
            if let usage = result.usage {
                lines.append("tokens:     \(usage.inputTokens.map(String.init) ?? "-") in, \(usage.outputTokens.map(String.init) ?? "-") out")
            }
            lines.append("result:")
            lines.append(result.data)
        }
        return lines.joined(separator: "\n")
    }
}
