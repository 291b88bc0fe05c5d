import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// `POST /assets`, `GET /assets/{id}` and the multipart-upload endpoints.
/// `/assets/multipart-uploads*`: create a session (201, presigned URLs into the storage route), fresh URLs,
/// completion reports (the last one completes the upload and assembles the asset), the session's status
/// with its chunks a page at a time, and the account's incomplete sessions.
extension SandboxResponder {
    func addMultipartUploadRoutes(to api: RouterGroup<SandboxContext>) {
        api.get("assets/multipart-uploads") { request, context in try await deliver(listIncompleteUploads(Self.query(request)), context) }
        api.post("assets/multipart-uploads") { request, context in try await deliver(await createUpload(request), context) }
        api.get("assets/multipart-uploads/:id") { request, context in
            try await deliver(uploadStatus(try context.parameters.require("id"), query: Self.query(request)), context)
        }
        api.post("assets/multipart-uploads/:id") { request, context in
            try await deliver(await reportChunks(request, uploadID: try context.parameters.require("id")), context)
        }
        api.post("assets/multipart-uploads/:id/presigned-urls") { request, context in
            try await deliver(await presignedURLs(request, uploadID: try context.parameters.require("id")), context)
        }
    }
    private func listIncompleteUploads(_ query: [String: String]) -> Outcome {
        let paging: Paging
        do { paging = try self.paging(query) } catch { return error.outcome }
        let now = configuration.clock.now()
        let open = state.storage.withLockedValue { storage in
            storage.assets.uploadOrder.reversed().compactMap { storage.assets.uploads[$0] }
                .filter { $0.phase == .active && now < $0.expiresAt }
        }
        let (uploads, info) = paging.slice(open)
        return json(200, IncompleteUploadPage(data: uploads.map { upload in
            IncompleteUpload(uploadID: upload.id, status: "active", totalSize: upload.totalSize, chunkSize: upload.chunkSize,
                             totalChunks: upload.totalChunks, createdAt: upload.createdDate, expiresAt: upload.expiresDate)
        }, pageInfo: info))
    }


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
            return error(400, .parameterInvalid, "filename must be a non-empty string of at most 1024 bytes.")
        }
        guard let type = object["type"], type != .null else { return missing("type") }
        guard type == .string("video") else { return error(400, .parameterInvalid, "type must be video.") }
        guard let sizeValue = object["total_size"], sizeValue != .null else { return missing("total_size") }
        guard case .integer(let size) = sizeValue, size >= 1, Int64(size) <= settings.maxMultipartBytes else {
            return error(
                400, .parameterInvalid,
                "total_size must be an integer number of bytes between 1 and \(settings.maxMultipartBytes).")
        }
        let totalSize = Int64(size)
        let chunkSize = max(1, settings.chunkSize)
        let totalChunks = Int((totalSize + chunkSize - 1) / chunkSize)
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let origin = storageOrigin(request)
        let session = state.storage.withLockedValue { storage -> MultipartUploadSession in
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
        state.storage.withLockedValue { $0.assets.presignedURLRequests += 1 }
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
            return error(400, .parameterInvalid, "count must be an integer between 1 and \(PresignedURLsRequest.maximumCount).")
        }
        guard case .integer(let start) = startValue, start >= 1 else {
            return error(400, .parameterInvalid, "start must be a chunk index of 1 or more.")
        }
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let origin = storageOrigin(request)
        let result = state.storage.withLockedValue { storage -> Result<PresignedURLBatch, PlatformRejection> in
            guard let upload = storage.assets.uploads[uploadID] else {
                return .failure(PlatformRejection(status: 404, code: .resourceNotExist, message: "No multipart upload with id \(uploadID)."))
            }
            if let refusal = Self.inactive(upload, now: now) { return .failure(refusal) }
            guard start <= upload.totalChunks else {
                return .failure(PlatformRejection(
                    status: 400, code: .parameterInvalid,
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
        state.storage.withLockedValue { $0.assets.chunkReports += 1 }
        let object: [String: JSONValue]
        do {
            object = try await Self.jsonObject(request, known: ["completed_chunks"])
        } catch {
            return self.error(error.status, error.code, error.message)
        }
        guard let listValue = object["completed_chunks"], listValue != .null else { return missing("completed_chunks") }
        guard let list = listValue.arrayValue, !list.isEmpty else {
            return error(400, .parameterInvalid, "completed_chunks must be a non-empty array.")
        }
        var chunks: [(index: Int, proof: String, size: Int64)] = []
        for (position, item) in list.enumerated() {
            guard let fields = item.objectValue else {
                return error(400, .parameterInvalid, "completed_chunks[\(position)] must be an object.")
            }
            if let unknown = fields.keys.sorted().first(where: { !["chunk_index", "proof", "proof_type", "chunk_size"].contains($0) }) {
                return error(400, .parameterUnknown, "Unknown parameter completed_chunks[\(position)].\(unknown).")
            }
            guard fields["chunk_index"] != nil else { return missing("completed_chunks[\(position)].chunk_index") }
            guard fields["proof"] != nil else { return missing("completed_chunks[\(position)].proof") }
            guard fields["chunk_size"] != nil else { return missing("completed_chunks[\(position)].chunk_size") }
            guard case .integer(let index)? = fields["chunk_index"] else {
                return error(400, .parameterInvalid, "completed_chunks[\(position)].chunk_index must be an integer.")
            }
            guard case .integer(let size)? = fields["chunk_size"] else {
                return error(400, .parameterInvalid, "completed_chunks[\(position)].chunk_size must be an integer.")
            }
            guard let proof = fields["proof"]?.stringValue, !proof.isEmpty else {
                return error(400, .parameterInvalid, "completed_chunks[\(position)].proof must be a non-empty string.")
            }
            if let type = fields["proof_type"], type != .null, type != .string("etag") {
                return error(400, .parameterInvalid, "completed_chunks[\(position)].proof_type must be etag.")
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
        let applied = state.storage.withLockedValue { storage -> Result<Applied, PlatformRejection> in
            guard var upload = storage.assets.uploads[uploadID] else {
                return .failure(PlatformRejection(status: 404, code: .resourceNotExist, message: "No multipart upload with id \(uploadID)."))
            }
            if upload.phase != .completed, let refusal = Self.inactive(upload, now: now) { return .failure(refusal) }
            for chunk in chunks {
                func invalid(_ message: String) -> Result<Applied, PlatformRejection> {
                    .failure(PlatformRejection(status: 400, code: .parameterInvalid, message: message))
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
        state.storage.withLockedValue { storage in
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
        guard let upload = state.storage.withLockedValue({ $0.assets.uploads[uploadID] }) else {
            return error(404, .resourceNotExist, "No multipart upload with id \(uploadID).")
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

}
