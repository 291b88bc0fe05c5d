/// One page of a list endpoint: `{"data": [...], "page_info": {...}}` (`GET /analyze/tasks`,
/// `GET /assets`, `GET /assets/multipart-uploads`).
///
/// Decoding is tolerant: a missing `data` is an empty page, a missing `page_info` one page holding it all.
public struct Page<Item: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    /// The items of this page, newest first.
    public var data: [Item]
    /// Where this page sits in the whole list.
    public var pageInfo: PageInfo

    /// Creates a value from its fields.
    public init(data: [Item], pageInfo: PageInfo) {
        self.data = data
        self.pageInfo = pageInfo
    }

    enum CodingKeys: String, CodingKey {
        case data
        case pageInfo = "page_info"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        data = try container.decodeIfPresent([Item].self, forKey: .data) ?? []
        pageInfo = try container.decodeIfPresent(PageInfo.self, forKey: .pageInfo) ?? .single(count: data.count)
    }
}

/// One page of `GET /analyze/tasks`.
public typealias TaskPage = Page<AnalyzeTask>
/// One page of `GET /assets`.
public typealias AssetPage = Page<Asset>
/// One page of `GET /assets/multipart-uploads`.
public typealias IncompleteUploadPage = Page<IncompleteUpload>
