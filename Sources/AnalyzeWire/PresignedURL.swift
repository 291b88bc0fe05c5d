public import Foundation

/// Where to `PUT` one chunk of a multipart upload. Single use; expires (about an hour).
public struct PresignedURL: Sendable, Hashable, Codable {
    /// The chunk's index, **1-based**.
    public var chunkIndex: Int
    /// The URL to `PUT` the chunk's bytes to, without the API key.
    public var url: String
    /// When the URL stops working.
    public var expiresAt: Date?

    /// Creates a value from its fields.
    public init(chunkIndex: Int, url: String, expiresAt: Date? = nil) {
        self.chunkIndex = chunkIndex
        self.url = url
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case chunkIndex = "chunk_index"
        case url
        case expiresAt = "expires_at"
    }
}
