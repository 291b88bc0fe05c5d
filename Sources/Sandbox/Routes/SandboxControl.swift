import AnalyzeAPI
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The test API over HTTP, for tests that run `tl sandbox` as a separate process:
/// - `GET /_sandbox/stats` → the task, storage and upload counters as JSON (`creates_by_custom_id`: tasks
///   created per `custom_id`, replays of an `Idempotency-Key` not counted);
/// - `POST /_sandbox/chunk-faults` `{"chunk_index": 3, "times": 2, "fault": "500", "upload_id"?: "..."}` → 204,
///   scripting failures like ``SandboxState/failChunk(_:times:with:uploadID:)`` (`fault`: an HTTP status, `drop`
///   or `drop-after-storing`).
///
/// No API key is needed (the sandbox is a local test tool).
extension SandboxResponder {
    func addControlRoutes(to control: RouterGroup<SandboxContext>) {
        control.get("stats") { _, context in try await deliver(json(200, stats()), context) }
        control.post("chunk-faults") { request, context in try await deliver(await chunkFaults(request), context) }
    }

    private func chunkFaults(_ request: Request) async -> Outcome {
            let object: [String: JSONValue]
            do {
                object = try await Self.jsonObject(request, known: ["chunk_index", "times", "fault", "upload_id"])
            } catch {
                return self.error(error.status, error.code, error.message)
            }
            guard case .integer(let index)? = object["chunk_index"], index >= 1 else {
                return error(400, .parameterInvalid, "chunk_index must be an integer of 1 or more.")
            }
            var times = 1
            if let value = object["times"] {
                guard case .integer(let count) = value, count >= 1 else {
                    return error(400, .parameterInvalid, "times must be an integer of 1 or more.")
                }
                times = count
            }
            let fault: StorageFault
            switch object["fault"]?.stringValue ?? "500" {
            case "drop": fault = .drop
            case "drop-after-storing": fault = .dropAfterStoring
            case let text:
                guard let status = Int(text), (400...599).contains(status) else {
                    return error(400, .parameterInvalid, "fault must be an HTTP status 400-599, drop or drop-after-storing.")
                }
                fault = .status(status)
            }
            if let upload = object["upload_id"], upload != .null, upload.stringValue == nil {
                return error(400, .parameterInvalid, "upload_id must be a string.")
            }
            state.failChunk(index, times: times, with: fault, uploadID: object["upload_id"]?.stringValue)
            return Outcome(status: 204, body: nil)
    }

    private func stats() -> JSONValue {
        let creates = state.tasksByCustomID
        return state.storage.withLockedValue { storage in
            let assets = storage.assets
            var uploads: [String: JSONValue] = [:]
            for id in assets.uploadOrder {
                var chunks: [String: JSONValue] = [:]
                for (index, counts) in assets.chunkPuts[id] ?? [:] {
                    chunks[String(index)] = .object([
                        "received": .integer(counts.received), "stored": .integer(counts.stored), "failed": .integer(counts.failed),
                    ])
                }
                uploads[id] = .object(["asset_id": .string(assets.uploads[id]?.assetID ?? ""), "chunk_puts": .object(chunks)])
            }
            return .object([
                "tasks_created": .integer(storage.createdCount),
                "creates_by_custom_id": .object(creates.mapValues { .integer($0) }),
                "storage_requests": .integer(assets.storagePuts),
                "storage_requests_with_api_key": .integer(assets.storageRequestsWithAPIKey),
                "presigned_url_requests": .integer(assets.presignedURLRequests),
                "chunk_reports": .integer(assets.chunkReports),
                "assets": .integer(assets.assets.count),
                "upload_ids": .array(assets.uploadOrder.map { .string($0) }),
                "uploads": .object(uploads),
            ])
        }
    }
}
