import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// `POST /assets`, `GET /assets/{id}` and the multipart-upload endpoints.
extension SandboxResponder {
    func assetRoute(_ request: Request, parts: [String]) async -> Outcome {
        let method = request.method
        if parts.count >= 2, parts[1] == "multipart-uploads" {
            switch (method, parts.count) {
            case (.get, 2): return listIncompleteUploads(Self.query(request))
            case (.post, 2): return await createUpload(request)
            case (.get, 3): return uploadStatus(parts[2], query: Self.query(request))
            case (.post, 3): return await reportChunks(request, uploadID: parts[2])
            case (.post, 4) where parts[3] == "presigned-urls": return await presignedURLs(request, uploadID: parts[2])
            default: return error(404, "resource_not_exist", "No route for \(method.rawValue) /\(parts.joined(separator: "/")).")
            }
        }
        switch (method, parts.count) {
        case (.post, 1): return await uploadDirect(request)
        case (.get, 1):
            let ids = request.uri.queryParameters.getAll("asset_ids").flatMap { $0.split(separator: ",").map(String.init) }
            return await listAssets(Self.query(request), ids: ids)
        case (.delete, 2): return deleteAsset(parts[1], force: Self.query(request)["force"] == "true")
        case (.get, 2):
            guard let asset = await assetSnapshot(parts[1]) else {
                return error(404, "resource_not_exist", "No asset with id \(parts[1]).")
            }
            return json(200, asset)
        default:
            return error(404, "resource_not_exist", "No route for \(method.rawValue) /\(parts.joined(separator: "/")).")
        }
    }

    // MARK: Listing and deleting

    /// `GET /assets`: newest first, filtered by `filename` and `asset_ids`, a page at a time.
    private func listAssets(_ query: [String: String], ids: [String]) async -> Outcome {
        let paging: Paging
        do { paging = try self.paging(query) } catch { return error.outcome }
        let filename = query["filename"]
        let all = state.storage.withLock { storage in
            storage.assets.assets.values.sorted { ($0.createdDate, $0.id) > ($1.createdDate, $1.id) }
        }
        let matching = all.filter { record in
            (filename == nil || record.filename == filename) && (ids.isEmpty || ids.contains(record.id))
        }
        let (records, info) = paging.slice(matching)
        var data: [Asset] = []
        for record in records {
            if let asset = await assetSnapshot(record.id) { data.append(asset) }
        }
        return json(200, AssetPage(data: data, pageInfo: info))
    }

    /// `DELETE /assets/{id}`: 409 while a task that is not finished uses it, unless `force=true`.
    private func deleteAsset(_ id: String, force: Bool) -> Outcome {
        let now = configuration.clock.now()
        let inUse = state.storage.withLock { storage in
            storage.tasks.values.filter { $0.video == .assetID(id) }
        }.contains { !task(from: $0, now: now).status.isTerminal }
        let removed: AssetStore.AssetRecord? = state.storage.withLock { storage in
            guard storage.assets.assets[id] != nil, force || !inUse else { return nil }
            return storage.assets.assets.removeValue(forKey: id)
        }
        guard let removed else {
            let known = state.storage.withLock { $0.assets.assets[id] != nil }
            return known ? error(409, "asset_in_use", "Asset \(id) is used by a task that has not finished; pass force=true to delete it anyway.")
                : error(404, "resource_not_exist", "No asset with id \(id).")
        }
        if let file = removed.file { try? FileManager.default.removeItem(at: file) }
        return Outcome(status: 200, body: nil)
    }

    /// `GET /assets/multipart-uploads`: the sessions still active (not complete, not expired), newest first.
    private func listIncompleteUploads(_ query: [String: String]) -> Outcome {
        let paging: Paging
        do { paging = try self.paging(query) } catch { return error.outcome }
        let now = configuration.clock.now()
        let open = state.storage.withLock { storage in
            storage.assets.uploadOrder.reversed().compactMap { storage.assets.uploads[$0] }
                .filter { $0.phase == .active && now < $0.expiresAt }
        }
        let (uploads, info) = paging.slice(open)
        return json(200, IncompleteUploadPage(data: uploads.map { upload in
            IncompleteUpload(uploadID: upload.id, status: "active", totalSize: upload.totalSize, chunkSize: upload.chunkSize,
                             totalChunks: upload.totalChunks, createdAt: upload.createdDate, expiresAt: upload.expiresDate)
        }, pageInfo: info))
    }

    // MARK: Direct upload

    private func uploadDirect(_ request: Request) async -> Outcome {
        let settings = configuration.uploads
        let cap = settings.maxDirectBytes + settings.directBodyOverhead
        guard let contentType = request.headers[.contentType] else {
            return error(400, "parameter_invalid", "The body must be multipart/form-data; the Content-Type header is missing.")
        }
        let boundary: String
        do {
            boundary = try MultipartFormDataParser.boundary(contentType: contentType)
        } catch {
            return self.error(400, "parameter_invalid", error.message)
        }
        var iterator = request.body.makeAsyncIterator()
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length > cap {
            var outcome = error(413, "parameter_invalid", "The request body (\(length) bytes) exceeds the \(cap)-byte limit.")
            await Self.drain(&iterator, outcome: &outcome)
            return outcome
        }
        let file: URL
        do {
            file = try state.newStorageFile("asset-\(UUID().uuidString).video")
        } catch {
            return self.error(500, "internal_error", "The sandbox could not store the upload: \(error.localizedDescription)")
        }
        var parser = MultipartFormDataParser(boundary: boundary)
        var form = DirectUploadForm(file: file, maxFileBytes: settings.maxDirectBytes)
        var received: Int64 = 0
        do {
            while let chunk = try await iterator.next() {
                received += Int64(chunk.readableBytes)
                if received > cap {
                    throw PlatformRejection(status: 413, code: "parameter_invalid", message: "The request body exceeds the \(cap)-byte limit.")
                }
                try form.consume(parser.feed(chunk.readableBytesView))
            }
            try parser.finish()
            try form.finish()
        } catch {
            form.close()
            try? FileManager.default.removeItem(at: file)
            var outcome: Outcome
            switch error {
            case let rejection as PlatformRejection: outcome = self.error(rejection.status, rejection.code, rejection.message)
            case let malformed as MultipartFormDataError: outcome = self.error(400, "parameter_invalid", malformed.message)
            default: outcome = self.error(400, "parameter_invalid", "The request body could not be read: \(error).")
            }
            await Self.drain(&iterator, outcome: &outcome)
            return outcome
        }
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let record = state.storage.withLock { storage -> AssetStore.AssetRecord in
            let record = AssetStore.AssetRecord(
                id: storage.assets.newAssetID(), method: "direct", filename: form.filename, size: form.fileSize,
                createdDate: date, file: file, readyAt: now + settings.assetProcessing)
            storage.assets.assets[record.id] = record
            return record
        }
        return json(201, Asset(
            id: record.id, status: .processing, method: record.method, filename: record.filename, size: record.size,
            createdAt: record.createdDate))
    }

    /// Reads and discards what is left of a refused request's body (up to 16 MiB), so the answer reaches the
    /// client on a clean connection; asks to close the connection when more was left.
    static func drain(_ iterator: inout RequestBody.AsyncIterator, outcome: inout Outcome, limit: Int = 16 << 20) async {
        var drained = 0
        while drained <= limit {
            guard let chunk = try? await iterator.next() else { return }
            drained += chunk.readableBytes
        }
        outcome.headers["Connection"] = "close"
    }

    // MARK: Assets

    /// The asset as the platform would show it now; judges its bytes with the inspector once processing is over.
    func assetSnapshot(_ id: String) async -> Asset? {
        let now = configuration.clock.now()
        guard let record = state.storage.withLock({ $0.assets.assets[id] }) else { return nil }
        var asset = Asset(
            id: record.id, status: .processing, method: record.method, filename: record.filename, size: record.size,
            createdAt: record.createdDate)
        guard let readyAt = record.readyAt, now >= readyAt else { return asset }
        var verdict = record.verdict
        if case .unjudged = verdict {
            let message: String?
            if let file = record.file {
                message = await (configuration.inspector ?? SandboxConfiguration.defaultInspector)(file)
            } else {
                message = "The asset's bytes are missing."
            }
            let judged: AssetStore.AssetRecord.Verdict = message.map { .rejected($0) } ?? .accepted
            verdict = state.storage.withLock { storage in
                // A concurrent request may have judged it first: keep the first verdict.
                if case .unjudged? = storage.assets.assets[id]?.verdict { storage.assets.assets[id]?.verdict = judged }
                return storage.assets.assets[id]?.verdict ?? judged
            }
        }
        switch verdict {
        case .unjudged, .accepted:
            asset.status = .ready
        case .rejected(let message):
            asset.status = .failed
            asset.error = TaskError(message: message, code: "video_not_supported")
        }
        return asset
    }

    /// Why a task cannot use asset `id` as its video, or `nil` when the asset is ready.
    func assetRejection(_ id: String) async -> PlatformRejection? {
        guard let asset = await assetSnapshot(id) else {
            return PlatformRejection(status: 400, code: "parameter_invalid", message: "video.asset_id: no asset with id \(id).")
        }
        switch asset.status {
        case .ready:
            return nil
        case .failed:
            return PlatformRejection(
                status: 400, code: "parameter_invalid",
                message: "video.asset_id: the asset \(id) failed processing: \(asset.error?.message ?? "unknown reason").")
        default:
            return PlatformRejection(
                status: 400, code: "video_not_ready",
                message: "video.asset_id: the asset \(id) is still \(asset.status.rawValue); wait until it is ready.")
        }
    }

    // MARK: Multipart uploads

    private func createUpload(_ request: Request) async -> Outcome {
        let settings = configuration.uploads
        let object: [String: JSONValue]
        do {
            object = try await Self.jsonObject(request, known: ["filename", "type", "total_size"])
        } catch {
            return self.error(error.status, error.code, error.message)
        }
        guard let filenameValue = object["filename"], filenameValue != .null else { return missing("filename") }
        guard let filename = filenameValue.stringValue, !filename.isEmpty, filename.utf8.count <= 1024 else {
            return error(400, "parameter_invalid", "filename must be a non-empty string of at most 1024 bytes.")
        }
        guard let type = object["type"], type != .null else { return missing("type") }
        guard type == .string("video") else { return error(400, "parameter_invalid", "type must be video.") }
        guard let sizeValue = object["total_size"], sizeValue != .null else { return missing("total_size") }
        guard case .integer(let size) = sizeValue, size >= 1, Int64(size) <= settings.maxMultipartBytes else {
            return error(
                400, "parameter_invalid",
                "total_size must be an integer number of bytes between 1 and \(settings.maxMultipartBytes).")
        }
        let totalSize = Int64(size)
        let chunkSize = max(1, settings.chunkSize)
        let totalChunks = Int((totalSize + chunkSize - 1) / chunkSize)
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let origin = storageOrigin(request)
        let session = state.storage.withLock { storage -> MultipartUploadSession in
            let upload = AssetStore.UploadRecord(
                id: storage.assets.newUploadID(), assetID: storage.assets.newAssetID(), filename: filename,
                totalSize: totalSize, chunkSize: chunkSize, totalChunks: totalChunks,
                expiresAt: now + settings.sessionLifetime,
                expiresDate: date.addingTimeInterval(settings.sessionLifetime.seconds), createdDate: date)
            storage.assets.uploads[upload.id] = upload
            storage.assets.uploadOrder.append(upload.id)
            storage.assets.assets[upload.assetID] = AssetStore.AssetRecord(
                id: upload.assetID, method: "multipart", filename: filename, size: totalSize, createdDate: date)
            let count = min(totalChunks, max(0, settings.initialURLCount))
            let urls = count == 0 ? [] : Self.issueURLs(
                upload: upload.id, chunks: 1...count, origin: origin, store: &storage.assets, now: now, date: date,
                lifetime: settings.urlLifetime)
            return MultipartUploadSession(
                uploadID: upload.id, assetID: upload.assetID, chunkSize: chunkSize, totalChunks: totalChunks,
                uploadURLs: urls, uploadHeaders: settings.uploadHeaders, expiresAt: upload.expiresDate)
        }
        return json(201, session)
    }

    private func presignedURLs(_ request: Request, uploadID: String) async -> Outcome {
        state.storage.withLock { $0.assets.presignedURLRequests += 1 }
        let settings = configuration.uploads
        let object: [String: JSONValue]
        do {
            object = try await Self.jsonObject(request, known: ["start", "count"])
        } catch {
            return self.error(error.status, error.code, error.message)
        }
        guard let startValue = object["start"], startValue != .null else { return missing("start") }
        guard let countValue = object["count"], countValue != .null else { return missing("count") }
        guard case .integer(let count) = countValue, (1...PresignedURLsRequest.maximumCount).contains(count) else {
            return error(400, "parameter_invalid", "count must be an integer between 1 and \(PresignedURLsRequest.maximumCount).")
        }
        guard case .integer(let start) = startValue, start >= 1 else {
            return error(400, "parameter_invalid", "start must be a chunk index of 1 or more.")
        }
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let origin = storageOrigin(request)
        let result = state.storage.withLock { storage -> Result<PresignedURLBatch, PlatformRejection> in
            guard let upload = storage.assets.uploads[uploadID] else {
                return .failure(PlatformRejection(status: 404, code: "resource_not_exist", message: "No multipart upload with id \(uploadID)."))
            }
            if let refusal = Self.inactive(upload, now: now) { return .failure(refusal) }
            guard start <= upload.totalChunks else {
                return .failure(PlatformRejection(
                    status: 400, code: "parameter_invalid",
                    message: "start \(start) is beyond the upload's \(upload.totalChunks) chunks."))
            }
            let last = min(upload.totalChunks, start + count - 1)
            let urls = Self.issueURLs(
                upload: uploadID, chunks: start...last, origin: origin, store: &storage.assets, now: now, date: date,
                lifetime: settings.urlLifetime)
            return .success(PresignedURLBatch(uploadURLs: urls, uploadHeaders: settings.uploadHeaders))
        }
        switch result {
        case .success(let batch): return json(200, batch)
        case .failure(let rejection): return error(rejection.status, rejection.code, rejection.message)
        }
    }

    private func reportChunks(_ request: Request, uploadID: String) async -> Outcome {
        state.storage.withLock { $0.assets.chunkReports += 1 }
        let object: [String: JSONValue]
        do {
            object = try await Self.jsonObject(request, known: ["completed_chunks"])
        } catch {
            return self.error(error.status, error.code, error.message)
        }
        guard let listValue = object["completed_chunks"], listValue != .null else { return missing("completed_chunks") }
        guard let list = listValue.arrayValue, !list.isEmpty else {
            return error(400, "parameter_invalid", "completed_chunks must be a non-empty array.")
        }
        var chunks: [(index: Int, proof: String, size: Int64)] = []
        for (position, item) in list.enumerated() {
            guard let fields = item.objectValue else {
                return error(400, "parameter_invalid", "completed_chunks[\(position)] must be an object.")
            }
            if let unknown = fields.keys.sorted().first(where: { !["chunk_index", "proof", "proof_type", "chunk_size"].contains($0) }) {
                return error(400, "parameter_unknown", "Unknown parameter completed_chunks[\(position)].\(unknown).")
            }
            guard fields["chunk_index"] != nil else { return missing("completed_chunks[\(position)].chunk_index") }
            guard fields["proof"] != nil else { return missing("completed_chunks[\(position)].proof") }
            guard fields["chunk_size"] != nil else { return missing("completed_chunks[\(position)].chunk_size") }
            guard case .integer(let index)? = fields["chunk_index"] else {
                return error(400, "parameter_invalid", "completed_chunks[\(position)].chunk_index must be an integer.")
            }
            guard case .integer(let size)? = fields["chunk_size"] else {
                return error(400, "parameter_invalid", "completed_chunks[\(position)].chunk_size must be an integer.")
            }
            guard let proof = fields["proof"]?.stringValue, !proof.isEmpty else {
                return error(400, "parameter_invalid", "completed_chunks[\(position)].proof must be a non-empty string.")
            }
            if let type = fields["proof_type"], type != .null, type != .string("etag") {
                return error(400, "parameter_invalid", "completed_chunks[\(position)].proof_type must be etag.")
            }
            let unquoted = proof.hasPrefix("\"") && proof.hasSuffix("\"") && proof.count >= 2
                ? String(proof.dropFirst().dropLast()) : proof
            chunks.append((index, unquoted, Int64(size)))
        }
        let now = configuration.clock.now()
        struct Applied {
            var result: CompletedChunksResult
            var assembly: (files: [URL], assetID: String)?
        }
        let applied = state.storage.withLock { storage -> Result<Applied, PlatformRejection> in
            guard var upload = storage.assets.uploads[uploadID] else {
                return .failure(PlatformRejection(status: 404, code: "resource_not_exist", message: "No multipart upload with id \(uploadID)."))
            }
            if upload.phase != .completed, let refusal = Self.inactive(upload, now: now) { return .failure(refusal) }
            for chunk in chunks {
                func invalid(_ message: String) -> Result<Applied, PlatformRejection> {
                    .failure(PlatformRejection(status: 400, code: "parameter_invalid", message: message))
                }
                guard (1...upload.totalChunks).contains(chunk.index) else {
                    return invalid("chunk_index \(chunk.index) is outside 1...\(upload.totalChunks).")
                }
                guard let stored = upload.stored[chunk.index] else {
                    return invalid("Chunk \(chunk.index) has not been uploaded.")
                }
                guard chunk.proof == stored.etag else {
                    return invalid("The proof of chunk \(chunk.index) does not match the ETag of its stored bytes.")
                }
                guard chunk.size == stored.size else {
                    return invalid("chunk_size \(chunk.size) of chunk \(chunk.index) does not match the \(stored.size) bytes stored.")
                }
            }
            var processed = 0
            var duplicates = 0
            for chunk in chunks {
                if upload.reported[chunk.index] != nil {
                    duplicates += 1
                } else {
                    processed += 1
                    upload.reported[chunk.index] = chunk.proof
                    let now = configuration.clock.currentDate()
                    upload.reportedAt[chunk.index] = (upload.reportedAt[chunk.index]?.first ?? now, now)
                }
            }
            var assembly: (files: [URL], assetID: String)?
            if upload.phase == .active, upload.reported.count == upload.totalChunks {
                upload.phase = .completed
                assembly = ((1...upload.totalChunks).compactMap { upload.stored[$0]?.file }, upload.assetID)
            }
            storage.assets.uploads[uploadID] = upload
            return .success(Applied(
                result: CompletedChunksResult(
                    assetID: upload.assetID, processedChunks: processed, duplicateChunks: duplicates,
                    totalCompleted: upload.reported.count),
                assembly: assembly))
        }
        switch applied {
        case .failure(let rejection):
            return error(rejection.status, rejection.code, rejection.message)
        case .success(let applied):
            // As on the platform, the answer does not wait for the chunks to be joined: the asset stays
            // `processing` until they are joined and judged, and its processing delay (counted from now) has passed.
            if let assembly = applied.assembly {
                let completedAt = configuration.clock.now()
                Task { await assemble(assembly.files, uploadID: uploadID, assetID: assembly.assetID, completedAt: completedAt) }
            }
            return json(200, applied.result)
        }
    }

    /// Concatenates the chunks into the asset's file (kernel-side, see ``FileAppend``), deletes them, judges the
    /// bytes with the inspector, and starts the asset's processing delay.
    private func assemble(_ files: [URL], uploadID: String, assetID: String, completedAt: Duration) async {
        var failure: String?
        var target: URL?
        do {
            let file = try state.newStorageFile("asset-\(UUID().uuidString).video")
            target = file
            let output = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard output >= 0 else { throw FileAppend.Failure(description: "cannot create \(file.path): \(String(cString: strerror(errno)))") }
            defer { close(output) }
            for chunk in files { try FileAppend.append(chunk.path, to: output) }
        } catch {
            failure = "The sandbox could not assemble the upload: \(error)"
            if let target { try? FileManager.default.removeItem(at: target) }
        }
        for chunk in files { try? FileManager.default.removeItem(at: chunk) }
        // Judged here, in the background, as the platform's processing would: a later GET answers at once.
        var verdict: AssetStore.AssetRecord.Verdict = .unjudged
        if failure == nil, let target {
            verdict = await (configuration.inspector ?? SandboxConfiguration.defaultInspector)(target).map { .rejected($0) } ?? .accepted
        }
        let now = configuration.clock.now()
        let processing = configuration.uploads.assetProcessing
        state.storage.withLock { storage in
            if let failure {
                storage.assets.uploads[uploadID]?.phase = .failed
                storage.assets.assets[assetID]?.verdict = .rejected(failure)
                storage.assets.assets[assetID]?.readyAt = now
            } else {
                storage.assets.assets[assetID]?.file = target
                storage.assets.assets[assetID]?.verdict = verdict
                storage.assets.assets[assetID]?.readyAt = max(completedAt + processing, now)
            }
        }
    }

    /// `GET /assets/multipart-uploads/{id}`: the session, with its chunks a page at a time (`page`,
    /// `page_limit`) as the published contract gives them. The official SDK pages through them
    /// until a page comes back empty.
    private func uploadStatus(_ uploadID: String, query: [String: String]) -> Outcome {
        let paging: Paging
        do { paging = try self.paging(query) } catch { return error.outcome }
        let now = configuration.clock.now()
        guard let upload = state.storage.withLock({ $0.assets.uploads[uploadID] }) else {
            return error(404, "resource_not_exist", "No multipart upload with id \(uploadID).")
        }
        let status: String
        switch upload.phase {
        case .completed, .failed: status = upload.phase.rawValue
        case .active: status = now >= upload.expiresAt ? "expired" : "active"
        }
        // Every reported chunk `completed`, every chunk whose last PUT failed `failed`.
        let failedIndexes = upload.failedChunks.filter { upload.reported[$0] == nil }
        let indexes = Set(upload.reported.keys).union(failedIndexes).sorted()
        let (onPage, info) = paging.slice(indexes)
        let chunks = onPage.map { index in
            let times = upload.reportedAt[index]
            return failedIndexes.contains(index)
                ? UploadedChunk(chunkIndex: index, status: "failed", error: "the chunk's last PUT failed; upload it again")
                : UploadedChunk(chunkIndex: index, status: "completed", uploadedAt: times?.first, updatedAt: times?.last)
        }
        var answer = MultipartUploadStatus(
            status: status, chunksCompleted: upload.reported.count,
            chunksPending: upload.totalChunks - upload.reported.count, chunksFailed: failedIndexes.count, uploadedChunks: chunks,
            totalSize: upload.totalSize,
            uploadedSize: upload.reported.keys.reduce(Int64(0)) { $0 + (upload.stored[$1]?.size ?? 0) })
        answer.uploadID = upload.id
        answer.createdAt = upload.createdDate
        answer.updatedAt = upload.reportedAt.values.map(\.last).max() ?? upload.createdDate
        answer.pageInfo = info
        return json(200, answer)
    }

    // MARK: Helpers

    private func missing(_ field: String) -> Outcome {
        error(400, "parameter_not_provided", "The \(field) parameter is required.")
    }

    /// Why an upload no longer takes URLs or reports, or `nil` when it is active.
    static func inactive(_ upload: AssetStore.UploadRecord, now: Duration) -> PlatformRejection? {
        switch upload.phase {
        case .completed:
            PlatformRejection(status: 409, code: "upload_not_active", message: "The multipart upload \(upload.id) is already complete.")
        case .failed:
            PlatformRejection(status: 409, code: "upload_not_active", message: "The multipart upload \(upload.id) failed.")
        case .active where now >= upload.expiresAt:
            PlatformRejection(status: 400, code: "upload_expired", message: "The multipart upload \(upload.id) has expired.")
        case .active:
            nil
        }
    }

    /// The scheme and authority presigned URLs point at: the `Host` the client used, else the listening address.
    private func storageOrigin(_ request: Request) -> String {
        if let authority = request.head.authority, !authority.isEmpty { return "http://" + authority }
        return state.storage.withLock { $0.assets.listeningOrigin } ?? "http://\(configuration.host):\(configuration.port)"
    }

    /// Fresh single-use tokens and their URLs for `chunks`.
    static func issueURLs(
        upload: String, chunks: ClosedRange<Int>, origin: String, store: inout AssetStore, now: Duration, date: Date,
        lifetime: Duration
    ) -> [PresignedURL] {
        chunks.map { index in
            let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            store.tokens[token] = AssetStore.Token(uploadID: upload, chunkIndex: index, expiresAt: now + lifetime)
            return PresignedURL(
                chunkIndex: index, url: "\(origin)\(StorageRoute.pathPrefix)\(upload)/\(index)?token=\(token)",
                expiresAt: date.addingTimeInterval(lifetime.seconds))
        }
    }

    /// The request's body as a JSON object whose keys are all in `known`.
    static func jsonObject(_ request: Request, known: Set<String>) async throws(PlatformRejection) -> [String: JSONValue] {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 1_000_000)
        } catch {
            throw PlatformRejection(status: 400, code: "parameter_invalid", message: "The request body is too large.")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
              let object = value.objectValue else {
            throw PlatformRejection(status: 400, code: "parameter_invalid", message: "The request body must be a JSON object.")
        }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw PlatformRejection(status: 400, code: "parameter_unknown", message: "Unknown parameter \(unknown).")
        }
        return object
    }
}

/// The fields of a direct upload's form, with the file part streamed to disk as it arrives.
struct DirectUploadForm {
    let file: URL
    let maxFileBytes: Int64
    private var handle: FileHandle?
    private var fields: [String: String] = [:]
    private var partFilename: String?
    private var current: Current?
    private var sawFile = false
    private(set) var fileSize: Int64 = 0

    private enum Current {
        case file
        case text(String, [UInt8])
    }

    /// The largest text field accepted.
    static let maxFieldBytes = 4096

    init(file: URL, maxFileBytes: Int64) {
        self.file = file
        self.maxFileBytes = maxFileBytes
    }

    /// The `filename` field, else the file part's own file name.
    var filename: String? { fields["filename"].flatMap { $0.isEmpty ? nil : $0 } ?? partFilename }

    mutating func consume(_ events: [MultipartFormDataParser.Event]) throws(PlatformRejection) {
        for event in events {
            switch event {
            case .partStarted(let headers):
                switch headers.name {
                case "file":
                    guard !sawFile else { throw invalid("The form has more than one file part.") }
                    sawFile = true
                    partFilename = headers.filename
                    guard FileManager.default.createFile(atPath: file.path, contents: nil),
                          let handle = try? FileHandle(forWritingTo: file) else {
                        throw PlatformRejection(status: 500, code: "internal_error", message: "The sandbox could not store the upload.")
                    }
                    self.handle = handle
                    current = .file
                case "method", "filename":
                    guard fields[headers.name] == nil else { throw invalid("The form has more than one \(headers.name) field.") }
                    current = .text(headers.name, [])
                default:
                    throw PlatformRejection(status: 400, code: "parameter_unknown", message: "Unknown parameter \(headers.name).")
                }
            case .content(let bytes):
                switch current {
                case .file:
                    fileSize += Int64(bytes.count)
                    guard fileSize <= maxFileBytes else {
                        throw PlatformRejection(
                            status: 400, code: "video_file_too_large",
                            message: "The video exceeds the \(maxFileBytes)-byte limit of a direct upload; use a multipart upload.")
                    }
                    do {
                        try handle?.write(contentsOf: Data(bytes))
                    } catch {
                        throw PlatformRejection(status: 500, code: "internal_error", message: "The sandbox could not store the upload.")
                    }
                case .text(let name, var value):
                    value.append(contentsOf: bytes)
                    guard value.count <= Self.maxFieldBytes else { throw invalid("The \(name) field exceeds \(Self.maxFieldBytes) bytes.") }
                    current = .text(name, value)
                case nil:
                    break
                }
            case .partEnded:
                if case .text(let name, let value) = current {
                    guard let text = String(validating: value, as: UTF8.self) else { throw invalid("The \(name) field is not valid UTF-8.") }
                    fields[name] = text
                }
                if case .file = current { close() }
                current = nil
            }
        }
    }

    /// Checks the fields once the whole form is read.
    mutating func finish() throws(PlatformRejection) {
        close()
        guard let method = fields["method"] else {
            throw PlatformRejection(status: 400, code: "parameter_not_provided", message: "The method parameter is required.")
        }
        guard method == "direct" else {
            throw invalid("method must be direct (the sandbox takes files; use a multipart upload for big ones); got \(method).")
        }
        guard sawFile else {
            throw PlatformRejection(status: 400, code: "parameter_not_provided", message: "The file parameter is required.")
        }
        guard fileSize > 0 else { throw invalid("The file is empty.") }
    }

    /// Closes the file part's handle, if open.
    mutating func close() {
        try? handle?.close()
        handle = nil
    }

    private func invalid(_ message: String) -> PlatformRejection {
        PlatformRejection(status: 400, code: "parameter_invalid", message: message)
    }
}
