import Foundation
import PlatformRules

extension AnalyzeClient {
    /// Creates a task from a body that is already encoded, such as a streamed base64 request.
    ///
    /// The body is **not** validated here: build it from a request that ``RequestValidator`` accepted.
    /// A stream body is produced anew for every attempt; one `Idempotency-Key` covers all of them.
    public func createTask(encodedBody: RequestBody, idempotencyKey: String? = nil) async throws -> TaskReference {
        let key = idempotencyKey ?? UUID().uuidString.lowercased()
        let response = try await sendAuthenticated(
            .createTask, method: "POST", path: "/analyze/tasks", content: encodedBody,
            contentType: "application/json", extraHeaders: [HTTPHeader("Idempotency-Key", key)])
        return try decode(TaskReference.self, from: response, operation: .createTask)
    }

    /// Uploads a local file as an asset in one request (`POST /assets`, `multipart/form-data` with
    /// `method=direct`, `filename` and `file`), streamed from disk and never loaded whole.
    ///
    /// The asset is usually still `processing`: wait with ``waitForAsset(_:options:onUpdate:)``.
    ///
    /// - Parameters:
    ///   - file: The local file.
    ///   - filename: The name to announce; the file's last path component when `nil`.
    /// - Throws: ``APIError`` (``APIError/Code/fileUnreadable`` when the file cannot be read or changes).
    public func uploadAsset(
        file: String, filename: String? = nil,
        progress: (@Sendable (_ sent: Int64, _ total: Int64) -> Void)? = nil
    ) async throws -> Asset {
        let range: FileRange
        do {
            range = try FileRange.wholeFile(file, readSize: 1 << 20)
        } catch let error as FileReadError {
            throw APIError(code: .fileUnreadable, operation: .uploadAsset, detail: error.message, underlying: error)
        }
        let name = filename ?? URL(fileURLWithPath: file).lastPathComponent
        let form = MultipartFormBody(
            fields: [("method", "direct"), ("filename", name)], fileField: "file", filename: name, file: range)
        let response = try await sendAuthenticated(
            .uploadAsset, method: "POST", path: "/assets",
            content: progress.map { form.body.observingProgress($0) } ?? form.body, contentType: form.contentType)
        return try decode(Asset.self, from: response, operation: .uploadAsset)
    }

    /// Retrieves an asset (`GET /assets/{asset_id}`).
    public func retrieveAsset(_ id: String) async throws -> Asset {
        try await retrieveAsset(id, operation: .retrieveAsset, deadline: nil)
    }

    /// One page of the account's assets (`GET /assets`), newest first.
    ///
    /// - Parameters:
    ///   - filename: only assets with this file name;
    ///   - assetIDs: only these assets.
    /// - Throws: ``APIError``; a `page` below 1 or a `pageLimit` outside 1–50 is refused before sending.
    public func listAssets(page: Int = 1, pageLimit: Int = 10, filename: String? = nil, assetIDs: [String] = []) async throws -> AssetPage {
        try checkPaging(page: page, pageLimit: pageLimit, operation: .listAssets)
        var query = "page=\(page)&page_limit=\(pageLimit)"
        if let filename { query += "&filename=\(Self.escapeQuery(filename))" }
        for id in assetIDs { query += "&asset_ids=\(Self.escapeQuery(id))" }
        let response = try await send(.listAssets, method: "GET", path: "/assets?" + query)
        return try decode(AssetPage.self, from: response, operation: .listAssets)
    }

    /// Deletes an asset (`DELETE /assets/{asset_id}`).
    ///
    /// - Parameter force: delete it even while tasks use it (the platform answers 409 otherwise).
    /// - Throws: ``APIError``: ``APIError/Code/notFound`` for an unknown asset, ``APIError/Code/conflict``
    ///   for one in use without `force`.
    public func deleteAsset(_ id: String, force: Bool = false) async throws {
        _ = try await send(.deleteAsset, method: "DELETE", path: "/assets/" + Self.escapePath(id) + (force ? "?force=true" : ""))
    }

    /// One page of the account's incomplete multipart uploads (`GET /assets/multipart-uploads`): the
    /// server's own view of what can still be resumed, from any machine.
    public func listIncompleteUploads(page: Int = 1, pageLimit: Int = 10) async throws -> IncompleteUploadPage {
        try checkPaging(page: page, pageLimit: pageLimit, operation: .listIncompleteUploads)
        let response = try await send(.listIncompleteUploads, method: "GET", path: "/assets/multipart-uploads?page=\(page)&page_limit=\(pageLimit)")
        return try decode(IncompleteUploadPage.self, from: response, operation: .listIncompleteUploads)
    }

    /// Polls an asset until it is `ready` or `failed`, or `options.timeout` passes, with the same backoff,
    /// jitter, deadline, clock and failure tolerance as ``waitForTask(_:options:)``.
    /// (`options.onUpdate` is for tasks; pass `onUpdate` to observe the asset.)
    public func waitForAsset(
        _ id: String, options: WaitOptions = WaitOptions(), onUpdate: (@Sendable (Asset) -> Void)? = nil
    ) async throws -> AssetWaitOutcome {
        let polled = try await poll(
            what: "asset \(id)", options: options,
            fetch: { deadline in try await self.retrieveAsset(id, operation: .waitForAsset, deadline: deadline) },
            observe: { onUpdate?($0) },
            isTerminal: { $0.status.isTerminal })
        switch polled {
        case .finished(let asset): return asset.status == .ready ? .ready(asset) : .failed(asset)
        case .timedOut(let lastSeen, let lastError): return .timedOut(lastSeen: lastSeen, lastError: lastError)
        }
    }

    /// Starts a multipart upload (`POST /assets/multipart-uploads`, answered 201).
    public func createMultipartUpload(_ request: CreateMultipartUploadRequest) async throws -> MultipartUploadSession {
        guard request.totalSize > 0 else {
            throw APIError(code: .validationFailed, operation: .createMultipartUpload, validationIssues: [
                ValidationIssue(severity: .error, field: "total_size", code: "total_size_invalid", message: "total_size must be more than 0 bytes."),
            ])
        }
        let body = try encode(request, operation: .createMultipartUpload)
        let response = try await send(.createMultipartUpload, method: "POST", path: "/assets/multipart-uploads", body: body)
        return try decode(MultipartUploadSession.self, from: response, operation: .createMultipartUpload)
    }

    /// Fresh presigned URLs for `count` chunks from the 1-based index `start`
    /// (`POST /assets/multipart-uploads/{upload_id}/presigned-urls`).
    ///
    /// - Throws: ``APIError`` with ``APIError/Code/validationFailed`` before sending when `start` < 1 or
    ///   `count` is not 1–50.
    public func presignedURLs(uploadID: String, start: Int, count: Int) async throws -> PresignedURLBatch {
        var issues: [ValidationIssue] = []
        if start < 1 { issues.append(ValidationIssue(severity: .error, field: "start", code: "start_out_of_range", message: "start must be 1 or more (chunk indexes are 1-based).")) }
        if !(1...PresignedURLsRequest.maximumCount).contains(count) {
            issues.append(ValidationIssue(severity: .error, field: "count", code: "count_out_of_range", message: "count must be 1–\(PresignedURLsRequest.maximumCount)."))
        }
        if !issues.isEmpty { throw APIError(code: .validationFailed, operation: .requestPresignedURLs, validationIssues: issues) }
        let body = try encode(PresignedURLsRequest(start: start, count: count), operation: .requestPresignedURLs)
        let response = try await send(
            .requestPresignedURLs, method: "POST", path: "/assets/multipart-uploads/" + Self.escapePath(uploadID) + "/presigned-urls", body: body)
        return try decode(PresignedURLBatch.self, from: response, operation: .requestPresignedURLs)
    }

    /// Reports finished chunks (`POST /assets/multipart-uploads/{upload_id}`); reporting the last one completes
    /// the upload. Duplicates are ignored by the platform.
    public func reportCompletedChunks(uploadID: String, _ chunks: [CompletedChunk]) async throws -> CompletedChunksResult {
        guard !chunks.isEmpty else {
            throw APIError(code: .validationFailed, operation: .reportCompletedChunks, validationIssues: [
                ValidationIssue(severity: .error, field: "completed_chunks", code: "completed_chunks_empty", message: "Report at least one chunk."),
            ])
        }
        let body = try encode(CompletedChunksReport(completedChunks: chunks), operation: .reportCompletedChunks)
        let response = try await send(
            .reportCompletedChunks, method: "POST", path: "/assets/multipart-uploads/" + Self.escapePath(uploadID), body: body)
        return try decode(CompletedChunksResult.self, from: response, operation: .reportCompletedChunks)
    }

    /// The state of an upload session (`GET /assets/multipart-uploads/{upload_id}`), with every chunk the
    /// server lists, from all its pages.
    public func multipartUploadStatus(uploadID: String) async throws -> MultipartUploadStatus {
        // The server lists the chunks a page at a time: follow the pages (the most a page allows)
        // so that the answer names every chunk. A server without `page_info` answers in one page.
        let limit = configuration.requestPolicy.rules.pageLimit.upperBound
        var status = try await multipartUploadStatus(uploadID: uploadID, page: 1, pageLimit: limit)
        var page = 1
        while let info = status.pageInfo, page < info.totalPage, page < 10_000 {
            page += 1
            let next = try await multipartUploadStatus(uploadID: uploadID, page: page, pageLimit: limit)
            if next.uploadedChunks.isEmpty { break }
            status.uploadedChunks += next.uploadedChunks
        }
        status.pageInfo = nil
        return status
    }

    /// One page of `GET /assets/multipart-uploads/{upload_id}`: the session and `pageLimit` (1–50) of its chunks.
    public func multipartUploadStatus(uploadID: String, page: Int, pageLimit: Int) async throws -> MultipartUploadStatus {
        try checkPaging(page: page, pageLimit: pageLimit, operation: .retrieveMultipartUpload)
        let response = try await send(
            .retrieveMultipartUpload, method: "GET",
            path: "/assets/multipart-uploads/" + Self.escapePath(uploadID) + "?page=\(page)&page_limit=\(pageLimit)")
        return try decode(MultipartUploadStatus.self, from: response, operation: .retrieveMultipartUpload)
    }

    /// `PUT`s one chunk's bytes, read from `file` (re-read for every attempt), to a presigned storage URL.
    ///
    /// This path **never** sends the API key: the URL carries its own authorisation. `headers` (the session's
    /// `upload_headers`) are applied as given; redirects are never followed. Retries follow the client's
    /// ``RetryPolicy`` unless `singleAttempt` is set (an uploader that takes a fresh single-use URL for each
    /// attempt retries on its own).
    ///
    /// - Returns: The response's `ETag` with surrounding quotes (and a weak `W/` prefix) stripped.
    /// - Throws: ``APIError`` with operation ``APIError/Operation/putChunk``: ``APIError/Code/forbidden`` when
    ///   the storage refuses the URL (expired or used), ``APIError/Code/invalidResponse`` when a success has no
    ///   `ETag`, ``APIError/Code/fileUnreadable`` when the file cannot be read.
    public func putChunk(
        url: String, headers: [String: String] = [:], file: FileRange, singleAttempt: Bool = false
    ) async throws -> String {
        guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
              components.host?.isEmpty == false
        else {
            throw APIError(code: .invalidConfiguration, operation: .putChunk, detail: "the presigned URL is not an http(s) URL")
        }
        let available = try? FileRange.size(of: file.path)
        guard let available, file.offset >= 0, file.length >= 0, file.offset + file.length <= available else {
            throw APIError(code: .fileUnreadable, operation: .putChunk,
                           detail: "\(file.path) has no bytes \(file.offset)..<\(file.offset + file.length) to send")
        }
        var fields: [HTTPHeader] = []
        for (name, value) in headers.sorted(by: { $0.key < $1.key })
        where name.caseInsensitiveCompare("x-api-key") != .orderedSame && name.caseInsensitiveCompare("content-length") != .orderedSame {
            fields.append(HTTPHeader(name, value))
        }
        let request = TransportRequest(method: "PUT", url: url, headers: fields, content: file.body)
        let logPath = "\(components.host ?? "")\(components.path)"
        let response = try await perform(.putChunk, request, logPath: logPath, retryPolicy: singleAttempt ? RetryPolicy.none : nil)
        guard let etag = response.header("ETag").map(Self.stripETag), !etag.isEmpty else {
            throw APIError(code: .invalidResponse, operation: .putChunk, status: response.status,
                           detail: "the storage answered \(response.status) without an ETag")
        }
        return etag
    }

    /// `"abc"` → `abc`; `W/"abc"` → `abc`.
    static func stripETag(_ value: String) -> String {
        var text = value.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
        return text
    }

    func retrieveAsset(_ id: String, operation: APIError.Operation, deadline: Duration?) async throws -> Asset {
        let response = try await send(operation, method: "GET", path: "/assets/" + Self.escapePath(id), deadline: deadline)
        return try decode(Asset.self, from: response, operation: operation)
    }

    func encode(_ value: some Encodable, operation: APIError.Operation) throws -> Data {
        do {
            return try WireCoding.encoder().encode(value)
        } catch {
            throw APIError(code: .validationFailed, operation: operation, detail: "the request cannot be encoded", underlying: error)
        }
    }
}

/// How ``AnalyzeClient/waitForAsset(_:options:onUpdate:)`` ended.
public enum AssetWaitOutcome: Sendable {
    /// The asset is `ready`: use its id as a task's `asset_id` source.
    case ready(Asset)
    /// Processing `failed`; see the asset's `error`.
    case failed(Asset)
    /// The deadline passed first.
    case timedOut(lastSeen: Asset?, lastError: APIError?)

    /// The asset as last seen.
    public var asset: Asset? {
        switch self {
        case .ready(let asset), .failed(let asset): asset
        case .timedOut(let asset, _): asset
        }
    }
}
