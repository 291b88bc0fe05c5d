import Foundation

/// What identifies "the same upload" across runs: the file (absolute path, size, modification time) and the
/// API it goes to. A state file is used only when all of them match.
public struct FileIdentity: Sendable, Hashable, Codable {
    /// The file's absolute, standardized path.
    public var path: String
    /// Its size in bytes.
    public var size: Int64
    /// Its modification time, in nanoseconds since 1970.
    public var modifiedNanoseconds: Int64
    /// The API base URL the upload goes to.
    public var baseURL: String

    /// Creates a value from its fields.
    public init(path: String, size: Int64, modifiedNanoseconds: Int64, baseURL: String) {
        self.path = path
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.baseURL = baseURL
    }

    /// The identity of the file at `path` now.
    ///
    /// - Throws: ``SubmissionError`` with ``SubmissionError/Code/fileUnreadable``.
    public init(file path: String, baseURL: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var info = stat()
        guard stat(absolute, &info) == 0 else {
            throw SubmissionError(.fileUnreadable, "cannot examine \(path): \(String(cString: strerror(errno)))", path: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SubmissionError(.fileUnreadable, "\(path) is not a regular file", path: path)
        }
        #if canImport(Darwin)
        let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        self.init(path: absolute, size: Int64(info.st_size), modifiedNanoseconds: modified, baseURL: baseURL)
    }

    enum CodingKeys: String, CodingKey {
        case path, size
        case modifiedNanoseconds = "modified_ns"
        case baseURL = "base_url"
    }
}

/// The resumable state of one multipart upload, saved after every finished chunk.
public struct UploadState: Sendable, Hashable, Codable {
    /// One finished chunk.
    public struct FinishedChunk: Sendable, Hashable, Codable {
        /// The 1-based index.
        public var chunkIndex: Int
        /// The storage's ETag, quotes stripped.
        public var etag: String
        /// The chunk's length in bytes.
        public var size: Int64

        /// Creates a value from its fields.
        public init(chunkIndex: Int, etag: String, size: Int64) {
            self.chunkIndex = chunkIndex
            self.etag = etag
            self.size = size
        }

        enum CodingKeys: String, CodingKey {
            case chunkIndex = "chunk_index"
            case etag, size
        }
    }

    /// The format version of the state file.
    public var version: Int
    /// The file and API this upload belongs to.
    public var identity: FileIdentity
    /// The upload session's id.
    public var uploadID: String
    /// The asset the upload becomes.
    public var assetID: String
    /// Bytes per chunk, as the server chose.
    public var chunkSize: Int64
    /// The number of chunks.
    public var totalChunks: Int
    /// The session's `upload_headers`, applied to every chunk `PUT`.
    public var uploadHeaders: [String: String]
    /// Chunks stored so far, in index order.
    public var finished: [FinishedChunk]

    /// The current format version.
    public static let currentVersion = 1

    /// Creates a value from its fields.
    public init(identity: FileIdentity, uploadID: String, assetID: String, chunkSize: Int64, totalChunks: Int,
                uploadHeaders: [String: String] = [:], finished: [FinishedChunk] = []) {
        version = Self.currentVersion
        self.identity = identity
        self.uploadID = uploadID
        self.assetID = assetID
        self.chunkSize = chunkSize
        self.totalChunks = totalChunks
        self.uploadHeaders = uploadHeaders
        self.finished = finished
    }

    /// Records a finished chunk (replacing an earlier record of the same index), keeping index order.
    public mutating func record(_ chunk: FinishedChunk) {
        finished.removeAll { $0.chunkIndex == chunk.chunkIndex }
        let position = finished.firstIndex { $0.chunkIndex > chunk.chunkIndex } ?? finished.endIndex
        finished.insert(chunk, at: position)
    }

    /// The indexes already stored.
    public var finishedIndexes: Set<Int> { Set(finished.map(\.chunkIndex)) }

    enum CodingKeys: String, CodingKey {
        case version, identity
        case uploadID = "upload_id"
        case assetID = "asset_id"
        case chunkSize = "chunk_size"
        case totalChunks = "total_chunks"
        case uploadHeaders = "upload_headers"
        case finished = "finished_chunks"
    }
}
