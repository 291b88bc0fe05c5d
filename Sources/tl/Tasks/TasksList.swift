import AnalyzeAPI
import ArgumentParser
import Foundation

extension TasksCommand {
    /// `tl tasks list`.
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
}
