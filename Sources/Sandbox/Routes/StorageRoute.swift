import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The sandbox's own object storage: `PUT /storage/uploads/{upload_id}/{chunk_index}?token=…`, the target of
/// presigned URLs. Outside the `/v1.3` prefix and without an API key; errors are S3-style XML.
enum StorageRoute {
    /// The path prefix of presigned URLs.
    static let pathPrefix = "/storage/uploads/"

    static func xml(_ status: Int, _ code: String, _ message: String) -> SandboxResponder.Outcome {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        let body = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Error><Code>\(code)</Code><Message>\(escaped)</Message></Error>\n"
        return SandboxResponder.Outcome(status: status, body: Data(body.utf8), contentType: "application/xml")
    }

    /// The XML error for an injected status.
    static func fault(_ status: Int) -> SandboxResponder.Outcome {
        switch status {
        case 403: xml(403, "AccessDenied", "Injected access denial.")
        case 503: xml(503, "SlowDown", "Injected: please reduce your request rate.")
        case 500..<600: xml(status, "InternalError", "Injected server error.")
        default: xml(status, "InjectedFault", "Injected fault.")
        }
    }
}

extension SandboxResponder {
    /// Every method under `/storage/uploads/`: the handler answers anything but a PUT to a chunk in S3's terms.
    func addStorageRoutes(to storage: RouterGroup<SandboxContext>) {
        for method: HTTPRequest.Method in [.put, .get, .post, .delete, .patch, .head] {
            storage.on("**", method: method) { request, context in try await deliver(await storagePut(request), context) }
        }
    }

    /// Stores one chunk sent to a presigned URL.
    func storagePut(_ request: Request) async -> Outcome {
        let settings = configuration.uploads
        let clock = configuration.clock
        let hasKey = request.headers[HTTPField.Name("x-api-key")!] != nil
        state.storage.withLockedValue {
            $0.assets.storagePuts += 1
            if hasKey { $0.assets.storageRequestsWithAPIKey += 1 }
        }
        var iterator = request.body.makeAsyncIterator()
        let pieces = request.uri.path.dropFirst(StorageRoute.pathPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, let chunkIndex = Int(pieces[1]) else {
            var outcome = StorageRoute.xml(404, "NoSuchKey", "No such storage object.")
            await Self.drain(&iterator, outcome: &outcome)
            return outcome
        }
        let uploadID = String(pieces[0])
        guard request.method == .put else {
            var outcome = StorageRoute.xml(405, "MethodNotAllowed", "Presigned upload URLs take PUT only.")
            await Self.drain(&iterator, outcome: &outcome)
            return outcome
        }
        let token = request.uri.queryParameters["token"].map(String.init)
        let headers = request.headers
        let now = clock.now()

        enum Admission {
            case refused(Outcome)
            case admitted(expected: Int64, scripted: StorageFault?, random: (FaultInjection.Kind, UInt64)?)
        }
        let admission = state.storage.withLockedValue { storage -> Admission in
            func refuse(_ outcome: Outcome) -> Admission {
                if storage.assets.uploads[uploadID] != nil {
                    storage.assets.countPut(uploadID: uploadID, chunkIndex: chunkIndex, stored: false)
                }
                return .refused(outcome)
            }
            guard let upload = storage.assets.uploads[uploadID], (1...upload.totalChunks).contains(chunkIndex) else {
                return refuse(StorageRoute.xml(404, "NoSuchUpload", "No upload \(uploadID) with a chunk \(chunkIndex)."))
            }
            guard let token, let grant = storage.assets.tokens[token], grant.uploadID == uploadID,
                  grant.chunkIndex == chunkIndex else {
                return refuse(StorageRoute.xml(403, "AccessDenied", "The URL's token is missing or not valid for this chunk."))
            }
            guard !grant.used else { return refuse(StorageRoute.xml(403, "AccessDenied", "This presigned URL has already been used.")) }
            guard now < grant.expiresAt else { return refuse(StorageRoute.xml(403, "AccessDenied", "Request has expired.")) }
            guard upload.phase == .active, now < upload.expiresAt else {
                return refuse(StorageRoute.xml(403, "AccessDenied", "The upload is no longer active."))
            }
            for (name, value) in settings.uploadHeaders.sorted(by: { $0.key < $1.key }) where settings.requiresUploadHeaders {
                guard let field = HTTPField.Name(name), headers[field] == value else {
                    return refuse(StorageRoute.xml(403, "AccessDenied", "The required header \(name) is missing or wrong."))
                }
            }
            let scripted = storage.assets.takeChunkFault(uploadID: uploadID, chunkIndex: chunkIndex)
            let random = scripted == nil ? storage.assets.drawFault() : nil
            return .admitted(expected: upload.expectedSize(of: chunkIndex), scripted: scripted, random: random)
        }
        guard case .admitted(let expected, let scripted, let random) = admission else {
            if case .refused(var outcome) = admission {
                await Self.drain(&iterator, outcome: &outcome)
                return outcome
            }
            return StorageRoute.xml(500, "InternalError", "Unreachable.")
        }

        // Faults that strike before the chunk is stored.
        var faultBefore: Outcome?
        switch scripted {
        case .status(let status)?: faultBefore = StorageRoute.fault(status)
        case .drop?: faultBefore = Outcome(status: 0, body: nil, dropped: true)
        case .dropAfterStoring?, nil: break
        }
        if let (kind, roll) = random {
            switch kind {
            case .serverError where roll % 2 == 0: faultBefore = StorageRoute.fault([500, 502, 503][Int(roll / 2 % 3)])
            case .rateLimited:
                var outcome = StorageRoute.fault(503)
                outcome.headers["Retry-After"] = "1"
                faultBefore = outcome
            default: break
            }
        }
        if var outcome = faultBefore {
            state.storage.withLockedValue { $0.assets.countPut(uploadID: uploadID, chunkIndex: chunkIndex, stored: false) }
            if !outcome.dropped { await Self.drain(&iterator, outcome: &outcome) }
            return outcome
        }

        // Receive the bytes into their own file, hashing them on the way.
        let file: URL
        var digest = ChunkDigest()
        var received: Int64 = 0
        var refusal: Outcome?
        do {
            file = try state.newStorageFile("chunk-\(uploadID)-\(chunkIndex)-\(UUID().uuidString).part")
            guard FileManager.default.createFile(atPath: file.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            let output = try FileHandle(forWritingTo: file)
            defer { try? output.close() }
            while let buffer = try await iterator.next() {
                received += Int64(buffer.readableBytes)
                if received > expected { break }
                try buffer.withUnsafeReadableBytes { bytes in
                    digest.update(bytes)
                    try output.write(contentsOf: bytes)
                }
            }
        } catch {
            state.storage.withLockedValue { $0.assets.countPut(uploadID: uploadID, chunkIndex: chunkIndex, stored: false) }
            return StorageRoute.xml(500, "InternalError", "The sandbox could not store the chunk: \(error).")
        }
        if received != expected {
            refusal = StorageRoute.xml(
                400, "InvalidChunkSize",
                "Chunk \(chunkIndex) must have \(expected) bytes; \(received > expected ? "more" : String(received)) arrived.")
        }
        if refusal == nil, settings.chunkDelay > .zero { try? await clock.sleep(for: settings.chunkDelay) }

        let etag = digest.hex
        let size = received
        if refusal == nil {
            let commitTime = clock.now()
            let (committed, replaced) = state.storage.withLockedValue { storage -> (Outcome?, URL?) in
                guard let grant = storage.assets.tokens[token ?? ""], !grant.used else {
                    return (StorageRoute.xml(403, "AccessDenied", "This presigned URL has already been used."), nil)
                }
                guard var upload = storage.assets.uploads[uploadID], upload.phase == .active, commitTime < upload.expiresAt else {
                    return (StorageRoute.xml(403, "AccessDenied", "The upload is no longer active."), nil)
                }
                storage.assets.tokens[token ?? ""]?.used = true
                let replaced = upload.stored[chunkIndex]?.file
                upload.stored[chunkIndex] = AssetStore.StoredChunk(size: size, etag: etag, file: file)
                // Bytes replaced after a report must be reported again, with their new proof.
                if let proof = upload.reported[chunkIndex], proof != etag { upload.reported[chunkIndex] = nil }
                storage.assets.uploads[uploadID] = upload
                storage.assets.countPut(uploadID: uploadID, chunkIndex: chunkIndex, stored: true)
                return (nil, replaced)
            }
            if let replaced, replaced != file { try? FileManager.default.removeItem(at: replaced) }
            refusal = committed
        } else {
            state.storage.withLockedValue { $0.assets.countPut(uploadID: uploadID, chunkIndex: chunkIndex, stored: false) }
        }
        if var refusal {
            try? FileManager.default.removeItem(at: file)
            await Self.drain(&iterator, outcome: &refusal)
            return refusal
        }

        // Stored: faults that strike after the chunk took effect.
        var outcome = Outcome(status: 200, body: nil, headers: ["ETag": "\"\(etag)\""])
        if scripted == .dropAfterStoring { outcome.dropped = true }
        if let (kind, roll) = random {
            switch kind {
            case .serverError: return StorageRoute.fault([500, 502, 503][Int(roll / 2 % 3)])
            case .dropConnection: outcome.dropped = true
            case .delay: outcome.delay = state.storage.withLockedValue { $0.assets.faults.delay }
            case .rateLimited, .dropAfterCreate: break
            }
        }
        return outcome
    }
}
