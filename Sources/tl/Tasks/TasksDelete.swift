import AnalyzeAPI
import ArgumentParser

extension TasksCommand {
    /// `tl tasks delete`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete finished tasks.",
            discussion: "Each id is tried in turn; exit 1 when any could not be deleted.")

        @OptionGroup var api: APIOptions

        @Argument(help: "Task ids.")
        var ids: [String] = []

        func validate() throws { try TasksCommand.checkIDs(ids, what: "task") }

        func run() async throws {
            try await api.withClient { client in
                try await TasksCommand.each(ids, format: api.format) { id in
                    try await client.deleteTask(id)
                    return (["task_id": .string(id), "deleted": .bool(true)], "deleted \(id)")
                }
            }
        }
    }
}
