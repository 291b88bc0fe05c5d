public import Foundation

/// An uploaded asset, as `POST /assets` (201) and `GET /assets/{asset_id}` return it.
///
/// Note the id's wire name: **`_id`**. Decoding is tolerant (unknown keys ignored, optional keys
/// may be missing or `null`); encoding omits `nil` fields.
public struct Asset: Sendable, Hashable, Codable, Identifiable {
    /// The asset id (`_id`); use it as a task's `asset_id` source once ``status`` is `ready`.
    public var id: String
    /// Processing status; poll until it is terminal.
    public var status: AssetStatus
    /// How it was uploaded (`direct`, `multipart`, `url`), when stated.
    public var method: String?
    /// The file name given at upload, when any.
    public var filename: String?
    /// Size in bytes, when stated.
    public var size: Int64?
    /// When the asset was created.
    public var createdAt: Date?
    /// Why processing `failed`.
    public var error: TaskError?

    /// Creates a value from its fields.
    public init(id: String, status: AssetStatus, method: String? = nil, filename: String? = nil,
                size: Int64? = nil, createdAt: Date? = nil, error: TaskError? = nil) {
        self.id = id
        self.status = status
        self.method = method
        self.filename = filename
        self.size = size
        self.createdAt = createdAt
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case status, method, filename, size, error
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(AssetStatus.self, forKey: .status)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        filename = try container.decodeIfPresent(String.self, forKey: .filename)
        size = try container.decodeIfPresent(Int64.self, forKey: .size)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        error = try container.decodeIfPresent(TaskError.self, forKey: .error)
    }
}
