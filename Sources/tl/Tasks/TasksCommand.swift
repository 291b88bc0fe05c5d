import AnalyzeAPI
import ArgumentParser
import Foundation

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

    /// Refuses an empty list or an empty id before anything is sent: `tl tasks get ""` is a usage error,
    /// not a request for `/analyze/tasks/`.
    static func checkIDs(_ ids: [String], what: String) throws {
        guard !ids.isEmpty else { throw ValidationError("Give at least one \(what) id.") }
        for id in ids where id.trimmingCharacters(in: .whitespaces).isEmpty || id.contains("/") {
            throw ValidationError("'\(id)' is not a valid \(what) id.")
        }
    }

    /// Runs `operation` on each id in turn. An API failure of one id is reported and the rest go
    /// on; JSON output is `{"results": [...]}` with an `error` object for each failure. Returns 1
    /// when any failed.
    static func each(
        _ ids: [String], format: OutputFormat, idKey: String = "task_id",
        _ operation: (String) async throws -> (json: [String: JSONValue], text: String)
    ) async throws -> Int32 {
        var results: [JSONValue] = []
        var failed = false
        for id in ids {
            do {
                let (json, text) = try await operation(id)
                results.append(.object(json))
                if format == .text { CLI.out(text) }
            } catch let error as APIError {
                failed = true
                results.append(.object([idKey: .string(id), "error": .object([
                    "code": .string(error.code.rawValue), "message": .string(error.description)])]))
                CLI.err("error: \(id): \(error)")
            }
        }
        if format.isJSON { CLI.printJSONList(results, key: "results", format: format) }
        return failed ? 1 : 0
    }

    /// One task as readable lines, its result last.
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
