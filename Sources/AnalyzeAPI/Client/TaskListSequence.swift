/// All tasks across pages, newest first, fetched one page at a time while iterating.
///
/// Iteration stops after the page `page_info.total_page` names, or at the first empty page. Tasks created while
/// iterating can shift items between pages; the sequence does not deduplicate.
public struct TaskListSequence: AsyncSequence, Sendable {
    /// Each task, newest first.
    public typealias Element = AnalyzeTask

    let client: AnalyzeClient
    let pageLimit: Int
    let status: TaskStatus?
    let videoURL: String?
    let assetID: String?
    let analysisMode: String?

    /// An iterator that fetches pages as it goes.
    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, pageLimit: pageLimit, status: status, videoURL: videoURL, assetID: assetID, analysisMode: analysisMode)
    }

    /// Fetches one page at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let client: AnalyzeClient
        let pageLimit: Int
        let status: TaskStatus?
        let videoURL: String?
        let assetID: String?
        let analysisMode: String?
        var nextPage = 1
        var buffer: [AnalyzeTask] = []
        var finished = false

        init(client: AnalyzeClient, pageLimit: Int, status: TaskStatus?, videoURL: String?, assetID: String?, analysisMode: String?) {
            self.client = client
            self.pageLimit = pageLimit
            self.status = status
            self.videoURL = videoURL
            self.assetID = assetID
            self.analysisMode = analysisMode
        }

        public mutating func next() async throws -> AnalyzeTask? {
            while buffer.isEmpty {
                if finished { return nil }
                let page = try await client.listTasks(
                    page: nextPage, pageLimit: pageLimit, status: status, videoURL: videoURL, assetID: assetID, analysisMode: analysisMode)
                buffer = page.data
                if page.data.isEmpty || nextPage >= page.pageInfo.totalPage { finished = true }
                nextPage += 1
            }
            return buffer.removeFirst()
        }
    }
}
