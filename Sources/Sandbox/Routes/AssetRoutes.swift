import AnalyzeAPI
import FormData
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// `/assets*`: a direct upload (streamed `multipart/form-data`), list (filters, pages), retrieve (judged by
/// the inspector once processing ends) and delete; and what every asset route shares.
extension SandboxResponder {
    func addAssetRoutes(to api: RouterGroup<SandboxContext>) {
        api.post("assets") { request, context in try await deliver(await uploadDirect(request), context) }
        api.get("assets") { request, context in
            let ids = request.uri.queryParameters.getAll("asset_ids").flatMap { $0.split(separator: ",").map(String.init) }
            return try await deliver(await listAssets(Self.query(request), ids: ids), context)
        }
        api.get("assets/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let asset = await assetSnapshot(id) else { return try await deliver(error(404, .resourceNotExist, "No asset with id \(id)."), context) }
            return try await deliver(json(200, asset), context)
        }
        api.delete("assets/:id") { request, context in
            try await deliver(deleteAsset(try context.parameters.require("id"), force: Self.query(request)["force"] == "true"), context)
        }
    }

    // MARK: Listing and deleting

    /// `GET /assets`: newest first, filtered by `filename` and `asset_ids`, a page at a time.
    private func listAssets(_ query: [String: String], ids: [String]) async -> Outcome {
        let paging: Paging
        do { paging = try self.paging(query) } catch { return error.outcome }
        let filename = query["filename"]
        let all = state.storage.withLockedValue { storage in
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
        let inUse = state.storage.withLockedValue { storage in
            storage.tasks.values.filter { $0.video == .assetID(id) }
        }.contains { !state.view(of: $0, now: now).status.isTerminal }
        let removed: AssetStore.AssetRecord? = state.storage.withLockedValue { storage in
            guard storage.assets.assets[id] != nil, force || !inUse else { return nil }
            return storage.assets.assets.removeValue(forKey: id)
        }
        guard let removed else {
            let known = state.storage.withLockedValue { $0.assets.assets[id] != nil }
            return known ? error(409, .assetInUse, "Asset \(id) is used by a task that has not finished; pass force=true to delete it anyway.")
                : error(404, .resourceNotExist, "No asset with id \(id).")
        }
        if let file = removed.file { try? FileManager.default.removeItem(at: file) }
        return Outcome(status: 200, body: nil)
    }

    /// `GET /assets/multipart-uploads`: the sessions still active (not complete, not expired), newest first.
    // MARK: Direct upload

    private func uploadDirect(_ request: Request) async -> Outcome {
        let settings = configuration.uploads
        let cap = settings.maxDirectBytes + settings.directBodyOverhead
        guard let contentType = request.headers[.contentType] else {
            return error(400, .parameterInvalid, "The body must be multipart/form-data; the Content-Type header is missing.")
        }
        let boundary: String
        do {
            boundary = try MultipartFormDataParser.boundary(contentType: contentType)
        } catch {
            return self.error(400, .parameterInvalid, error.message)
        }
        var iterator = request.body.makeAsyncIterator()
        if let length = request.headers[.contentLength].flatMap({ Int64($0) }), length > cap {
            var outcome = error(413, .parameterInvalid, "The request body (\(length) bytes) exceeds the \(cap)-byte limit.")
            await Self.drain(&iterator, outcome: &outcome)
            return outcome
        }
        let file: URL
        do {
            file = try state.newStorageFile("asset-\(UUID().uuidString).video")
        } catch {
            return self.error(500, .internalError, "The sandbox could not store the upload: \(error.localizedDescription)")
        }
        var parser = MultipartFormDataParser(boundary: boundary)
        var form = DirectUploadForm(file: file, maxFileBytes: settings.maxDirectBytes)
        var received: Int64 = 0
        do {
            while let chunk = try await iterator.next() {
                received += Int64(chunk.readableBytes)
                if received > cap {
                    throw PlatformRejection(status: 413, code: .parameterInvalid, message: "The request body exceeds the \(cap)-byte limit.")
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
            case let malformed as MultipartFormDataError: outcome = self.error(400, .parameterInvalid, malformed.message)
            default: outcome = self.error(400, .parameterInvalid, "The request body could not be read: \(error).")
            }
            await Self.drain(&iterator, outcome: &outcome)
            return outcome
        }
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let record = state.storage.withLockedValue { storage -> AssetStore.AssetRecord in
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
        guard let record = state.storage.withLockedValue({ $0.assets.assets[id] }) else { return nil }
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
            verdict = state.storage.withLockedValue { storage in
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

    /// The asset's duration, measured once with ``SandboxConfiguration/durationProbe``.
    func assetDuration(_ id: String) async -> Double? {
        guard let probe = configuration.durationProbe,
              let record = state.storage.withLockedValue({ $0.assets.assets[id] }) else { return nil }
        if record.durationMeasured { return record.durationSeconds }
        var seconds: Double?
        if let file = record.file { seconds = await probe(file) }
        state.storage.withLockedValue { storage in
            storage.assets.assets[id]?.durationSeconds = seconds
            storage.assets.assets[id]?.durationMeasured = true
        }
        return seconds
    }

    /// The seconds a request analyses of an asset lasting `duration`: its window, or the whole asset. The
    /// sandbox measures durations only, so it takes every asset to start at 0.
    static func analysedSeconds(duration: Double, start: Double?, end: Double?) -> Double {
        guard start != nil || end != nil else { return duration }
        return max(0, min(end ?? duration, duration) - (start ?? 0))
    }

    /// Why a task cannot use asset `id` as its video, or `nil` when the asset is ready.
    func assetRejection(_ id: String) async -> PlatformRejection? {
        guard let asset = await assetSnapshot(id) else {
            return PlatformRejection(status: 400, code: .parameterInvalid, message: "video.asset_id: no asset with id \(id).")
        }
        switch asset.status {
        case .ready:
            return nil
        case .failed:
            return PlatformRejection(
                status: 400, code: .parameterInvalid,
                message: "video.asset_id: the asset \(id) failed processing: \(asset.error?.message ?? "unknown reason").")
        default:
            return PlatformRejection(
                status: 400, code: .videoNotReady,
                message: "video.asset_id: the asset \(id) is still \(asset.status.rawValue); wait until it is ready.")
        }
    }

    // MARK: Helpers

    func missing(_ field: String) -> Outcome {
        error(400, .parameterNotProvided, "The \(field) parameter is required.")
    }

    /// Why an upload no longer takes URLs or reports, or `nil` when it is active.
    static func inactive(_ upload: AssetStore.UploadRecord, now: Duration) -> PlatformRejection? {
        switch upload.phase {
        case .completed:
            PlatformRejection(status: 409, code: .uploadNotActive, message: "The multipart upload \(upload.id) is already complete.")
        case .failed:
            PlatformRejection(status: 409, code: .uploadNotActive, message: "The multipart upload \(upload.id) failed.")
        case .active where now >= upload.expiresAt:
            PlatformRejection(status: 400, code: .uploadExpired, message: "The multipart upload \(upload.id) has expired.")
        case .active:
            nil
        }
    }

    /// The scheme and authority presigned URLs point at: the `Host` the client used, else the listening address.
    func storageOrigin(_ request: Request) -> String {
        if let authority = request.head.authority, !authority.isEmpty { return "http://" + authority }
        return state.storage.withLockedValue { $0.assets.listeningOrigin } ?? "http://\(configuration.host):\(configuration.port)"
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
            throw PlatformRejection(status: 400, code: .parameterInvalid, message: "The request body is too large.")
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
              let object = value.objectValue else {
            throw PlatformRejection(status: 400, code: .parameterInvalid, message: "The request body must be a JSON object.")
        }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw PlatformRejection(status: 400, code: .parameterUnknown, message: "Unknown parameter \(unknown).")
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
                        throw PlatformRejection(status: 500, code: .internalError, message: "The sandbox could not store the upload.")
                    }
                    self.handle = handle
                    current = .file
                case "method", "filename":
                    guard fields[headers.name] == nil else { throw invalid("The form has more than one \(headers.name) field.") }
                    current = .text(headers.name, [])
                default:
                    throw PlatformRejection(status: 400, code: .parameterUnknown, message: "Unknown parameter \(headers.name).")
                }
            case .content(let bytes):
                switch current {
                case .file:
                    fileSize += Int64(bytes.count)
                    guard fileSize <= maxFileBytes else {
                        throw PlatformRejection(
                            status: 400, code: .videoFileTooLarge,
                            message: "The video exceeds the \(maxFileBytes)-byte limit of a direct upload; use a multipart upload.")
                    }
                    do {
                        try handle?.write(contentsOf: Data(bytes))
                    } catch {
                        throw PlatformRejection(status: 500, code: .internalError, message: "The sandbox could not store the upload.")
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
            throw PlatformRejection(status: 400, code: .parameterNotProvided, message: "The method parameter is required.")
        }
        guard method == "direct" else {
            throw invalid("method must be direct (the sandbox takes files; use a multipart upload for big ones); got \(method).")
        }
        guard sawFile else {
            throw PlatformRejection(status: 400, code: .parameterNotProvided, message: "The file parameter is required.")
        }
        guard fileSize > 0 else { throw invalid("The file is empty.") }
    }

    /// Closes the file part's handle, if open.
    mutating func close() {
        try? handle?.close()
        handle = nil
    }

    private func invalid(_ message: String) -> PlatformRejection {
        PlatformRejection(status: 400, code: .parameterInvalid, message: message)
    }
}
