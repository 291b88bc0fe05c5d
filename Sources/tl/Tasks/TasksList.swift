import AnalyzeAPI
import ArgumentParser
import Foundation

/// `--status`: the statuses a task can be in.
enum StatusOption: String, ExpressibleByArgument, CaseIterable {
    case queued, pending, processing, ready, failed, canceled

    var status: TaskStatus { TaskStatus(rawValue: rawValue) }
}

/// `--analysis-mode`.
enum AnalysisModeOption: String, ExpressibleByArgument, CaseIterable {
    case general
    case timeBasedMetadata = "time_based_metadata"
}

extension TasksCommand {
    /// `tl tasks list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tasks, newest first.",
            discussion: """
                JSON output has one shape for one page and for --all: {"data": [...], "page_info": {...}}; \
                with --all, page_info describes the one page that holds every task.
                Exit status: 0 success (an empty list included), 1 --page past the last page or an API error.
                """)

        @OptionGroup var api: APIOptions

        @Option(help: "Only tasks in this status.")
        var status: StatusOption?

        @Option(name: .customLong("video-url"), help: "Only tasks on this video URL.")
        var videoURL: String?

        @Option(name: .customLong("asset-id"), help: "Only tasks on this asset.")
        var assetID: String?

        @Option(name: .customLong("analysis-mode"), help: "Only tasks in this analysis mode.")
        var analysisMode: AnalysisModeOption?

        @OptionGroup var paging: PagingOptions

        func run() async throws {
            let status = self.status?.status
            try await api.withClient { client in
                let tasks = try await paging.fetch { page, limit in
                    try await client.listTasks(page: page, pageLimit: limit, status: status, videoURL: videoURL, assetID: assetID,
                                               analysisMode: analysisMode?.rawValue)
                }
                return try paging.print(tasks, noun: "task", format: api.format, render: Self.render)
            }
        }

        static func render(_ tasks: [AnalyzeTask]) -> String {
            CLI.table(
                ["TASK ID", "STATUS", "CREATED", "COMPLETED", "CUSTOM ID"],
                tasks.map { [$0.id, $0.status.rawValue, CLI.date($0.createdAt), CLI.date($0.completedAt), $0.customID ?? "-"] })
        }
    }
}
