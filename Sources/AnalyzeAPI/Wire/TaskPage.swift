/// The answer of `POST /analyze/tasks` (202) and of `POST /analyze/tasks/{id}/cancel` (200):
/// `{"task_id": "...", "status": "queued"}`.
public struct TaskReference: Sendable, Hashable, Codable {
    /// The task id (`task_id`).
    public var id: String
    /// The status; see ``TaskStatus/isTerminal``.
    public var status: TaskStatus

    /// Creates a value from its fields.
    public init(id: String, status: TaskStatus) {
        self.id = id
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case id = "task_id"
        case status
    }
}

/// One page of `GET /analyze/tasks`: `{"data": [...], "page_info": {...}}`.
public struct TaskPage: Sendable, Hashable, Codable {
    /// The tasks of this page, newest first.
    public var data: [AnalyzeTask]
    /// Where this page sits in the whole list.
    public var pageInfo: PageInfo

    /// Creates a value from its fields.
    public init(data: [AnalyzeTask], pageInfo: PageInfo) {
        self.data = data
        self.pageInfo = pageInfo
    }

    enum CodingKeys: String, CodingKey {
        case data
        case pageInfo = "page_info"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        data = try container.decodeIfPresent([AnalyzeTask].self, forKey: .data) ?? []
        pageInfo = try container.decodeIfPresent(PageInfo.self, forKey: .pageInfo)
            ?? PageInfo(limitPerPage: data.count, page: 1, totalPage: 1, totalResults: data.count)
    }
}

/// Where a page sits in the whole list.
public struct PageInfo: Sendable, Hashable, Codable {
    /// Tasks per page.
    public var limitPerPage: Int
    /// This page's number, from 1.
    public var page: Int
    /// How many pages there are.
    public var totalPage: Int
    /// How many tasks match in all.
    public var totalResults: Int

    /// Creates a value from its fields.
    public init(limitPerPage: Int, page: Int, totalPage: Int, totalResults: Int) {
        self.limitPerPage = limitPerPage
        self.page = page
        self.totalPage = totalPage
        self.totalResults = totalResults
    }

    enum CodingKeys: String, CodingKey {
        case limitPerPage = "limit_per_page"
        case page
        case totalPage = "total_page"
        case totalResults = "total_results"
    }
}
