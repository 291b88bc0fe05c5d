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
