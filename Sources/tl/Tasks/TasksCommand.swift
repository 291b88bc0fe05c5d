import AnalyzeAPI
import ArgumentParser

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
