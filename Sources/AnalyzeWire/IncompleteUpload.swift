public import Foundation

/// An upload session not yet complete, in `GET /assets/multipart-uploads` (`IncompleteUploadSummary`).
public struct IncompleteUpload: Sendable, Hashable, Codable {
    /// The session.
    public var uploadID: String
    /// `active` (or, verbatim, another status the server reports).
    public var status: String
    /// The file's size in bytes.
    public var totalSize: Int64
    /// Bytes per chunk (all but the last).
    public var chunkSize: Int64
    /// Chunks in all.
    public var totalChunks: Int
    /// When the session was created.
    public var createdAt: Date?
    /// When it expires (24 h after creation).
    public var expiresAt: Date?

    /// Creates a value from its fields.
    public init(uploadID: String, status: String, totalSize: Int64, chunkSize: Int64, totalChunks: Int,
                createdAt: Date? = nil, expiresAt: Date? = nil) {
        self.uploadID = uploadID
        self.status = status
        self.totalSize = totalSize
        self.chunkSize = chunkSize
        self.totalChunks = totalChunks
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case status
        case uploadID = "upload_id"
        case totalSize = "total_size"
        case chunkSize = "chunk_size"
        case totalChunks = "total_chunks"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }
}
