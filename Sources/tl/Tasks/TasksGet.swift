import AnalyzeAPI
import ArgumentParser

extension TasksCommand {
    /// `tl tasks get`.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one task, with its result when ready.")

        @OptionGroup var api: APIOptions

        @Argument(help: "The task id.")
        var id: String

        func validate() throws { try TasksCommand.checkIDs([id], what: "task") }

        func run() async throws {
            try await api.withClient { client in
                let task = try await client.retrieveTask(id)
                if api.format.isJSON { CLI.printJSON(task, format: api.format) } else { CLI.out(TasksCommand.describe(task)) }
                return 0
            }
        }
    }
}
