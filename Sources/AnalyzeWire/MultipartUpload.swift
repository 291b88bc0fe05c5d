public import Foundation

/// The body of `POST /assets/multipart-uploads`.
public struct CreateMultipartUploadRequest: Sendable, Hashable, Codable {
    /// The file's name.
    public var filename: String
    /// The asset type; `video`.
    public var type: String
    /// The whole file's size in bytes.
    public var totalSize: Int64

    /// Creates a value from its fields.
    public init(filename: String, totalSize: Int64, type: String = "video") {
        self.filename = filename
        self.type = type
        self.totalSize = totalSize
    }

    enum CodingKeys: String, CodingKey {
        case filename, type
        case totalSize = "total_size"
    }
}

/// The 201 answer to ``CreateMultipartUploadRequest``: the session and the first presigned URLs.
///
/// All chunks but the last have exactly ``chunkSize`` bytes; indexes are 1-based; the first
/// answer may not list a URL for every chunk (ask for more with ``PresignedURLsRequest``).
public struct MultipartUploadSession: Sendable, Hashable, Codable {
    /// The upload session's id.
    public var uploadID: String
    /// The asset the upload becomes.
    public var assetID: String
    /// Bytes per chunk, chosen by the server.
    public var chunkSize: Int64
    /// Number of chunks.
    public var totalChunks: Int
    /// Presigned URLs for some or all chunks.
    public var uploadURLs: [PresignedURL]
    /// Headers to send with every chunk `PUT`.
    public var uploadHeaders: [String: String]?
    /// When the session expires (24 h).
    public var expiresAt: Date?

    /// Creates a value from its fields.
    public init(uploadID: String, assetID: String, chunkSize: Int64, totalChunks: Int, uploadURLs: [PresignedURL],
                uploadHeaders: [String: String]? = nil, expiresAt: Date? = nil) {
        self.uploadID = uploadID
        self.assetID = assetID
        self.chunkSize = chunkSize
        self.totalChunks = totalChunks
        self.uploadURLs = uploadURLs
        self.uploadHeaders = uploadHeaders
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id"
        case assetID = "asset_id"
        case chunkSize = "chunk_size"
        case totalChunks = "total_chunks"
        case uploadURLs = "upload_urls"
        case uploadHeaders = "upload_headers"
        case expiresAt = "expires_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        uploadID = try container.decode(String.self, forKey: .uploadID)
        assetID = try container.decode(String.self, forKey: .assetID)
        chunkSize = try container.decode(Int64.self, forKey: .chunkSize)
        totalChunks = try container.decode(Int.self, forKey: .totalChunks)
        uploadURLs = try container.decodeIfPresent([PresignedURL].self, forKey: .uploadURLs) ?? []
        uploadHeaders = try container.decodeIfPresent([String: String].self, forKey: .uploadHeaders)
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
    }
}

/// The body of `POST /assets/multipart-uploads/{upload_id}/presigned-urls`: fresh URLs for
/// `count` (at most 50) chunks starting at the 1-based index `start`.
public struct PresignedURLsRequest: Sendable, Hashable, Codable {
    /// The first chunk index, 1-based.
    public var start: Int
    /// How many URLs, 1–50.
    public var count: Int

    /// The most URLs one request may ask for.
    public static let maximumCount = 50

    /// Creates a value from its fields.
    public init(start: Int, count: Int) {
        self.start = start
        self.count = count
    }
}

/// The answer to ``PresignedURLsRequest``.
public struct PresignedURLBatch: Sendable, Hashable, Codable {
    /// The fresh URLs.
    public var uploadURLs: [PresignedURL]
    /// Headers to send with every chunk `PUT`, when the server restates them.
    public var uploadHeaders: [String: String]?

    /// Creates a value from its fields.
    public init(uploadURLs: [PresignedURL], uploadHeaders: [String: String]? = nil) {
        self.uploadURLs = uploadURLs
        self.uploadHeaders = uploadHeaders
    }

    enum CodingKeys: String, CodingKey {
        case uploadURLs = "upload_urls"
        case uploadHeaders = "upload_headers"
    }
}

/// One finished chunk, as reported to `POST /assets/multipart-uploads/{upload_id}`.
public struct CompletedChunk: Sendable, Hashable, Codable {
    /// The chunk's index, 1-based.
    public var chunkIndex: Int
    /// The `ETag` the storage answered the chunk's `PUT` with, quotes stripped.
    public var proof: String
    /// Always `etag`.
    public var proofType: String
    /// The chunk's size in bytes.
    public var chunkSize: Int64

    /// Creates a value from its fields.
    public init(chunkIndex: Int, proof: String, chunkSize: Int64, proofType: String = "etag") {
        self.chunkIndex = chunkIndex
        self.proof = proof
        self.proofType = proofType
        self.chunkSize = chunkSize
    }

    enum CodingKeys: String, CodingKey {
        case chunkIndex = "chunk_index"
        case proof
        case proofType = "proof_type"
        case chunkSize = "chunk_size"
    }
}

/// The body of `POST /assets/multipart-uploads/{upload_id}`: finished chunks, in any order;
/// duplicates are ignored; reporting the last one completes the upload.
public struct CompletedChunksReport: Sendable, Hashable, Codable {
    /// The chunks finished since the last report.
    public var completedChunks: [CompletedChunk]

    /// Creates a value from its fields.
    public init(completedChunks: [CompletedChunk]) {
        self.completedChunks = completedChunks
    }

    enum CodingKeys: String, CodingKey {
        case completedChunks = "completed_chunks"
    }
}

/// The answer to ``CompletedChunksReport``.
public struct CompletedChunksResult: Sendable, Hashable, Codable {
    /// The asset the upload becomes.
    public var assetID: String?
    /// Chunks newly recorded by this report.
    public var processedChunks: Int
    /// Chunks in this report that were already recorded.
    public var duplicateChunks: Int
    /// Chunks recorded in all.
    public var totalCompleted: Int
    /// The asset's URL, once the upload is complete (when the server gives one).
    public var url: String?

    /// Creates a value from its fields.
    public init(assetID: String?, processedChunks: Int, duplicateChunks: Int, totalCompleted: Int, url: String? = nil) {
        self.assetID = assetID
        self.processedChunks = processedChunks
        self.duplicateChunks = duplicateChunks
        self.totalCompleted = totalCompleted
        self.url = url
    }

    enum CodingKeys: String, CodingKey {
        case assetID = "asset_id"
        case processedChunks = "processed_chunks"
        case duplicateChunks = "duplicate_chunks"
        case totalCompleted = "total_completed"
        case url
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        assetID = try container.decodeIfPresent(String.self, forKey: .assetID)
        processedChunks = try container.decodeIfPresent(Int.self, forKey: .processedChunks) ?? 0
        duplicateChunks = try container.decodeIfPresent(Int.self, forKey: .duplicateChunks) ?? 0
        totalCompleted = try container.decodeIfPresent(Int.self, forKey: .totalCompleted) ?? 0
        url = try container.decodeIfPresent(String.self, forKey: .url)
    }
}

/// The state of an upload session, `GET /assets/multipart-uploads/{upload_id}`.
public struct MultipartUploadStatus: Sendable, Hashable, Codable {
    /// `active`, `completed` (received; the asset still has to become ready), `failed` or `expired`;
    /// other strings are kept verbatim.
    public var status: String
    /// Chunks received.
    public var chunksCompleted: Int
    /// Chunks not yet received.
    public var chunksPending: Int
    /// Chunks that failed.
    public var chunksFailed: Int
    /// The 1-based indexes of the chunks received, with their proofs where the server lists them.
    public var uploadedChunks: [UploadedChunk]
    /// The file's size in bytes.
    public var totalSize: Int64?
    /// Bytes received.
    public var uploadedSize: Int64?
    /// The session's id.
    public var uploadID: String?
    /// When the session was created.
    public var createdAt: Date?
    /// When it last changed.
    public var updatedAt: Date?
    /// Which page of ``uploadedChunks`` this is (the server lists them a page at a time).
    public var pageInfo: PageInfo?

    /// Creates a value from its fields.
    public init(status: String, chunksCompleted: Int, chunksPending: Int, chunksFailed: Int,
                uploadedChunks: [UploadedChunk], totalSize: Int64?, uploadedSize: Int64?) {
        self.status = status
        self.chunksCompleted = chunksCompleted
        self.chunksPending = chunksPending
        self.chunksFailed = chunksFailed
        self.uploadedChunks = uploadedChunks
        self.totalSize = totalSize
        self.uploadedSize = uploadedSize
    }

    enum CodingKeys: String, CodingKey {
        case status
        case chunksCompleted = "chunks_completed"
        case chunksPending = "chunks_pending"
        case chunksFailed = "chunks_failed"
        case uploadedChunks = "uploaded_chunks"
        case totalSize = "total_size"
        case uploadedSize = "uploaded_size"
        case uploadID = "upload_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case pageInfo = "page_info"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(String.self, forKey: .status)
        uploadID = try? container.decodeIfPresent(String.self, forKey: .uploadID)
        createdAt = try? container.decodeIfPresent(Date.self, forKey: .createdAt)
        updatedAt = try? container.decodeIfPresent(Date.self, forKey: .updatedAt)
        pageInfo = try? container.decodeIfPresent(PageInfo.self, forKey: .pageInfo)
        chunksCompleted = try container.decodeIfPresent(Int.self, forKey: .chunksCompleted) ?? 0
        chunksPending = try container.decodeIfPresent(Int.self, forKey: .chunksPending) ?? 0
        chunksFailed = try container.decodeIfPresent(Int.self, forKey: .chunksFailed) ?? 0
        uploadedChunks = try container.decodeIfPresent([UploadedChunk].self, forKey: .uploadedChunks) ?? []
        totalSize = try container.decodeIfPresent(Int64.self, forKey: .totalSize)
        uploadedSize = try container.decodeIfPresent(Int64.self, forKey: .uploadedSize)
    }
}

/// One chunk in ``MultipartUploadStatus/uploadedChunks``, as the published contract gives it:
/// `{"index", "status", "uploaded_at", "updated_at", "error"}`.
///
/// Decoding also takes the older `chunk_index` (with `chunk_size` and `proof`) that earlier servers
/// and this project's sandbox sent; encoding writes the published shape only.
public struct UploadedChunk: Sendable, Hashable, Codable {
    /// The chunk's index, 1-based.
    public var chunkIndex: Int
    /// `completed`, `pending` or `failed` (other strings kept verbatim); `completed` when the server
    /// does not say.
    public var status: String
    /// When the chunk was received.
    public var uploadedAt: Date?
    /// When its record last changed.
    public var updatedAt: Date?
    /// Why it failed, for a `failed` chunk.
    public var error: String?
    /// Its size in bytes, when an older server lists it (not in the published shape).
    public var chunkSize: Int64?
    /// The proof recorded for it, when an older server lists it (not in the published shape).
    public var proof: String?

    /// Whether the server has the chunk.
    public var isCompleted: Bool { status == "completed" }

    /// Creates a value from its fields.
    public init(chunkIndex: Int, status: String = "completed", uploadedAt: Date? = nil, updatedAt: Date? = nil,
                error: String? = nil, chunkSize: Int64? = nil, proof: String? = nil) {
        self.chunkIndex = chunkIndex
        self.status = status
        self.uploadedAt = uploadedAt
        self.updatedAt = updatedAt
        self.error = error
        self.chunkSize = chunkSize
        self.proof = proof
    }

    enum CodingKeys: String, CodingKey {
        case index, status, error
        case uploadedAt = "uploaded_at"
        case updatedAt = "updated_at"
        case chunkIndex = "chunk_index"
        case chunkSize = "chunk_size"
        case proof
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let index = try c.decodeIfPresent(Int.self, forKey: .index) ?? c.decodeIfPresent(Int.self, forKey: .chunkIndex) else {
            throw DecodingError.keyNotFound(CodingKeys.index, .init(codingPath: c.codingPath, debugDescription: "an uploaded chunk has no index"))
        }
        chunkIndex = index
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? "completed"
        uploadedAt = try? c.decodeIfPresent(Date.self, forKey: .uploadedAt)
        updatedAt = try? c.decodeIfPresent(Date.self, forKey: .updatedAt)
        error = try? c.decodeIfPresent(String.self, forKey: .error)
        chunkSize = try? c.decodeIfPresent(Int64.self, forKey: .chunkSize)
        proof = try? c.decodeIfPresent(String.self, forKey: .proof)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(chunkIndex, forKey: .index)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(uploadedAt, forKey: .uploadedAt)
        try c.encodeIfPresent(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(error, forKey: .error)
    }
}
