import AnalyzeAPI
import ArgumentParser

extension TasksCommand {
    /// `tl tasks cancel`.
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
}
