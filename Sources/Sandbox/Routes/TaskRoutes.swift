import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformRules
import Synchronization

/// `/analyze/tasks*`: create (202, with `Idempotency-Key`), list (filters, pages), retrieve, delete and
/// cancel, and the task lifecycle on the sandbox clock.
extension SandboxResponder {
    func addTaskRoutes(to api: RouterGroup<SandboxContext>) {
        api.post("analyze/tasks") { request, context in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: 40_000_000)
            } catch {
                return try await deliver(self.error(400, "video_file_too_large", "The request body is too large."), context)
            }
            let key = request.headers[HTTPField.Name("x-api-key")!] ?? ""
            return try await deliver(await create(Data(body.readableBytesView), apiKey: key,
                                                  idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!]), context)
        }
        api.get("analyze/tasks") { request, context in try await deliver(list(Self.query(request)), context) }
        api.get("analyze/tasks/:id") { _, context in try await deliver(retrieve(try context.parameters.require("id")), context) }
        api.delete("analyze/tasks/:id") { _, context in try await deliver(delete(try context.parameters.require("id")), context) }
        api.post("analyze/tasks/:id/cancel") { _, context in try await deliver(cancel(try context.parameters.require("id")), context) }
    }

    private func create(_ body: Data, apiKey: String, idempotencyKey: String?) async -> Outcome {
        let scopedKey = idempotencyKey.map { apiKey + "\u{0}" + $0 }
        let fingerprint = scopedKey.map { _ in BodyFingerprint(body) }
        if let scopedKey, let existing = state.storage.withLock({ $0.idempotency[scopedKey] }) {
            guard existing.body == fingerprint else {
                return error(409, "idempotency_key_reused", "This Idempotency-Key was used with a different request body.")
            }
            return json(202, TaskReference(id: existing.taskID, status: .queued))
        }
        let request: CreateAsyncAnalyzeRequest
        do {
            request = try CreateRequestCheck.parse(body, rules: configuration.rules)
        } catch {
            return self.error(error.status, error.code, error.message)
        }
        if case .assetID(let assetID) = request.video, let rejection = await assetRejection(assetID) {
            return error(rejection.status, rejection.code, rejection.message)
        }
        var failure: String?
        if case .base64String(let text) = request.video {
            guard let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                return error(400, "parameter_invalid", "video.base64_string is not valid base64.")
            }
            failure = await inspect(bytes)
        }
        let result = ResultGenerator.result(for: request)
        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let endpoints = configuration.webhooks.urls
        let (reference, created) = state.storage.withLock { storage -> (TaskReference, Bool) in
            // A concurrent retry of the same create may have won the race: answer with its task.
            if let scopedKey, let existing = storage.idempotency[scopedKey] {
                return (TaskReference(id: existing.taskID, status: .queued), false)
            }
            storage.nextSequence += 1
            storage.createdCount += 1
            let id = Self.taskID(storage.nextSequence)
            storage.tasks[id] = SandboxState.TaskRecord(
                id: id, sequence: storage.nextSequence, customID: request.customID, video: request.video,
                analysisMode: request.analysisMode ?? configuration.rules.defaultMode, createdAt: now, createdDate: date, canceledAt: nil, failure: failure, result: result,
                deliveries: endpoints.map { WebhookDelivery(url: $0, delivered: false, attempts: 0) })
            if let scopedKey, let fingerprint { storage.idempotency[scopedKey] = (id, fingerprint) }
            return (TaskReference(id: id, status: .queued), true)
        }
        if created { announceWhenFinished(reference.id) }
        return json(202, reference)
    }

    private func inspect(_ bytes: Data) async -> String? {
        let inspector = configuration.inspector ?? SandboxConfiguration.defaultInspector
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("tl-sandbox-\(UUID().uuidString).video")
        do {
            try bytes.write(to: file)
        } catch {
            return "The sandbox could not store the video: \(error.localizedDescription)"
        }
        defer { try? FileManager.default.removeItem(at: file) }
        return await inspector(file)
    }

    private func retrieve(_ id: String) -> Outcome {
        guard let task = snapshot(id) else { return error(404, "resource_not_exist", "No task with id \(id).") }
        return json(200, task)
    }

    private func list(_ query: [String: String]) -> Outcome {
        let paging: Paging
        do { paging = try self.paging(query) } catch { return error.outcome }
        let status = query["status"].map { TaskStatus(rawValue: String($0)) }
        let videoURL = query["video_url"]
        let assetID = query["asset_id"]
        let mode = query["analysis_mode"]
        if let mode, !configuration.rules.analysisModes.contains(mode) {
            return error(400, "parameter_invalid", "analysis_mode must be one of \(configuration.rules.analysisModes.sorted().joined(separator: ", ")).")
        }
        let now = configuration.clock.now()
        let all = state.storage.withLock { storage in
            storage.tasks.values.sorted { $0.sequence > $1.sequence }
        }
        let matching = all.map { task(from: $0, now: now) }.enumerated().filter { index, task in
            let record = all[index]
            if let status, task.status != status { return false }
            if let videoURL, record.video != .url(videoURL) { return false }
            if let assetID, record.video != .assetID(assetID) { return false }
            if let mode, record.analysisMode != mode { return false }
            return true
        }.map(\.element)
        let (slice, info) = paging.slice(matching)
        return json(200, TaskPage(data: slice, pageInfo: info))
    }

    private func delete(_ id: String) -> Outcome {
        let now = configuration.clock.now()
        let result = state.storage.withLock { storage -> Int in
            guard let record = storage.tasks[id] else { return 404 }
            if !task(from: record, now: now).status.isTerminal { return 409 }
            storage.tasks[id] = nil
            return 204
        }
        switch result {
        case 404: return error(404, "resource_not_exist", "No task with id \(id).")
        case 409: return error(409, "task_not_finished", "The task is still being processed; cancel it or wait.")
        default: return Outcome(status: 204, body: nil)
        }
    }

    private func cancel(_ id: String) -> Outcome {
        let now = configuration.clock.now()
        let result = state.storage.withLock { storage -> Int in
            guard var record = storage.tasks[id] else { return 404 }
            if task(from: record, now: now).status.isTerminal { return 409 }
            record.canceledAt = now
            storage.tasks[id] = record
            return 200
        }
        switch result {
        case 404: return error(404, "resource_not_exist", "No task with id \(id).")
        case 409: return error(409, "task_already_finished", "The task has already finished.")
        default: return json(200, TaskReference(id: id, status: .canceled))
        }
    }

    private func snapshot(_ id: String) -> AnalyzeTask? {
        let now = configuration.clock.now()
        return state.storage.withLock { $0.tasks[id] }.map { task(from: $0, now: now) }
    }

    /// The task as the platform would show it at `now`.
    func task(from record: SandboxState.TaskRecord, now: Duration) -> AnalyzeTask {
        let lifecycle = configuration.lifecycle
        var task = AnalyzeTask(id: record.id, customID: record.customID, status: .queued, createdAt: record.createdDate)
        if !record.deliveries.isEmpty { task.webhooks = record.deliveries }
        task.batchID = record.batchID
        switch record.video {
        case .url(let url): task.videoSource = TaskVideoSource(type: "url", url: url)
        case .assetID(let id): task.videoSource = TaskVideoSource(type: "asset_id", assetID: id)
        case .base64String: task.videoSource = TaskVideoSource(type: "base64_string")
        }
        func date(at instant: Duration) -> Date {
            record.createdDate.addingTimeInterval((instant - record.createdAt).seconds)
        }
        let start = record.createdAt + record.delay
        let finish = start + lifecycle.total
        if let canceledAt = record.canceledAt {
            task.status = .canceled
            task.completedAt = date(at: canceledAt)
            let message = record.cancelCode == "batch_canceled" ? "The task was canceled with its batch." : "The task was canceled by the user."
            task.error = TaskError(message: message, code: record.cancelCode)
            return task
        }
        if let expiresAt = record.expiresAt, expiresAt < finish, now >= expiresAt {
            task.status = .canceled
            task.completedAt = date(at: expiresAt)
            task.error = TaskError(message: "The task was canceled because its batch expired.", code: "batch_expired")
            return task
        }
        let elapsed = now - start
        if elapsed < lifecycle.queued {
            task.status = .queued
        } else if elapsed < lifecycle.queued + lifecycle.pending {
            // Batch items have no pending status: they are queued until they are processed.
            task.status = record.batchID == nil ? .pending : .queued
        } else if elapsed < lifecycle.total {
            task.status = .processing
        } else if let failure = record.failure {
            task.status = .failed
            task.completedAt = date(at: finish)
            task.error = TaskError(message: failure, code: record.failureCode)
        } else {
            task.status = .ready
            task.completedAt = date(at: finish)
            task.result = TaskResult(
                generationID: "gen_\(record.id)", data: record.result.data,
                finishReason: record.result.finishReason, usage: record.result.usage)
            task.error = record.result.warning
        }
        return task
    }

    static func taskID(_ sequence: Int) -> String {
        let hex = String(sequence, radix: 16)
        return "6710f6f6" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

}
