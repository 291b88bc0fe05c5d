import AnalyzeAPI
import ArgumentParser
import Foundation
import NIOConcurrencyHelpers

extension TasksCommand {
    /// `tl tasks wait`.
    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until tasks finish.",
            discussion: "Exits 0 when every task is ready, 1 when any failed, was canceled or timed out.")

        @OptionGroup var api: APIOptions

        @Argument(help: "Task ids.")
        var ids: [String] = []

        @Option(help: "Give up after this many seconds.")
        var timeout: Double = 3600

        @Option(name: .customLong("poll-interval"), help: "Shortest pause between polls of one task, in seconds.")
        var pollInterval: Double = 2

        func validate() throws {
            try TasksCommand.checkIDs(ids, what: "task")
            guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 seconds.") }
            guard pollInterval > 0 else { throw ValidationError("--poll-interval must be more than 0 seconds.") }
        }

        func run() async throws {
            let statuses = NIOLockedValueBox([String: String]())
            let ids = self.ids
            let options = WaitOptions(
                minimumInterval: .seconds(double: pollInterval),
                maximumInterval: .seconds(double: max(pollInterval, 30)),
                timeout: .seconds(double: timeout),
                onUpdate: { task in
                    let line = statuses.withLockedValue { statuses -> String in
                        statuses[task.id] = task.status.rawValue
                        let counts = Dictionary(grouping: statuses.values, by: { $0 }).mapValues(\.count)
                        return "waiting for \(ids.count) task\(ids.count == 1 ? "" : "s"): "
                            + counts.keys.sorted().map { "\(counts[$0]!) \($0)" }.joined(separator: ", ")
                    }
                    CLI.progress(line)
                })
            try await api.withClient { client in
                let outcomes = try await withThrowingTaskGroup(of: Waited.self) { group in
                    for (index, id) in ids.enumerated() {
                        group.addTask {
                            do {
                                return Waited(index: index, result: .success(try await client.waitForTask(id, options: options)))
                            } catch let error as APIError {
                                return Waited(index: index, result: .failure(error))
                            }
                        }
                    }
                    var answers: [Waited] = []
                    for try await answer in group { answers.append(answer) }
                    return answers.sorted { $0.index < $1.index }.map(\.result)
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
                        if api.format == .text { CLI.out("\(id)  error: \(error.description)") }
                    }
                }
                if api.format.isJSON { CLI.printJSONList(json, key: "results", format: api.format) }
                return allReady ? 0 : 1
            }
        }
    }
}

/// One child's answer in `tl tasks wait`: its place in the order given, and how its wait ended.
///
/// The children once returned `(Int, Result)` tuples into an array of optionals filled by index;
/// release builds of Swift 6.3 read nil back from it (and, reshuffled, paired results with the
/// wrong ids) once two or more tasks were awaited. A named struct, sorted by index, does not.
private struct Waited: Sendable {
    var index: Int
    var result: Result<WaitOutcome, APIError>
}
