import AnalyzeAPI
import ArgumentParser

extension TasksCommand {
    /// `tl tasks cancel`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel unfinished tasks.",
            discussion: "Each id is tried in turn; exit 1 when any could not be canceled.")

        @OptionGroup var api: APIOptions

        @Argument(help: "Task ids.")
        var ids: [String] = []

        func validate() throws { try TasksCommand.checkIDs(ids, what: "task") }

        func run() async throws {
            try await api.withClient { client in
                try await TasksCommand.each(ids, format: api.format) { id in
                    let reference = try await client.cancelTask(id)
                    return (["task_id": .string(reference.id), "status": .string(reference.status.rawValue)],
                            "\(reference.id)  \(reference.status)")
                }
            }
        }
    }
}
