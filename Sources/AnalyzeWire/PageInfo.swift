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

    /// One page holding all `count` items (what a list fetched with every page together is).
    public static func single(count: Int) -> PageInfo {
        PageInfo(limitPerPage: count, page: 1, totalPage: 1, totalResults: count)
    }
}
