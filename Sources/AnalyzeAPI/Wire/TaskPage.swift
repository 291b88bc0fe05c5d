/// The answer of `POST /analyze/tasks` (202) and of `POST /analyze/tasks/{id}/cancel` (200):
/// `{"task_id": "...", "status": "queued"}`.
public struct TaskReference: Sendable, Hashable, Codable {
    public var id: String
    public var status: TaskStatus

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
    public var data: [AnalyzeTask]
    public var pageInfo: PageInfo

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
    public var limitPerPage: Int
    public var page: Int
    public var totalPage: Int
    public var totalResults: Int

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
