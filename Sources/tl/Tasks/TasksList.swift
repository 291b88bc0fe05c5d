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
            let status = self.status?.status
            try await api.withClient { client in
                let tasks: [AnalyzeTask]
                let info: PageInfo
                if all {
                    var collected: [AnalyzeTask] = []
                    for try await task in client.allTasks(pageLimit: pageLimit, status: status, videoURL: videoURL, assetID: assetID,
                                                             analysisMode: analysisMode?.rawValue) {
                        collected.append(task)
                    }
                    tasks = collected
                    info = PageInfo(limitPerPage: collected.count, page: 1, totalPage: 1, totalResults: collected.count)
                } else {
                    let result = try await client.listTasks(
                        page: page, pageLimit: pageLimit, status: status, videoURL: videoURL, assetID: assetID,
                        analysisMode: analysisMode?.rawValue)
                    tasks = result.data
                    info = result.pageInfo
                }
                let pastTheEnd = !all && page > 1 && page > info.totalPage
                if api.format == .json {
                    CLI.printJSON(JSONValue.object(["data": try SubmitOutput.json(tasks), "page_info": try SubmitOutput.json(info)]))
                } else if !tasks.isEmpty {
                    CLI.out(Self.render(tasks))
                }
                let count = "\(info.totalResults) task\(info.totalResults == 1 ? "" : "s")"
                if pastTheEnd {
                    CLI.err("error: page \(page) is past the last page (\(info.totalPage), \(count) at \(pageLimit) a page)")
                    return 1
                }
                if api.format == .text {
                    CLI.out(all ? count : "page \(info.page) of \(max(info.totalPage, 1)), \(count)")
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
