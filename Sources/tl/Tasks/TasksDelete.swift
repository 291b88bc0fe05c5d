import AnalyzeAPI
import ArgumentParser

extension TasksCommand {
    /// `tl tasks delete`.
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
}
