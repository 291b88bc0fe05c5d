import AnalyzeAPI
import Foundation
import NIOConcurrencyHelpers
import PlatformRules
import Synchronization

/// Tasks' state changes and how a task looks at a given time: plain methods, so that the lifecycle,
/// cancellation and deletion can be tested without HTTP.
extension SandboxState {
    /// What a state change did.
    enum Change: Sendable, Equatable {
        case done
        case notFound
        /// The task's (or batch's) status does not allow it.
        case conflict
    }

    /// Stores a new task, or, for a scoped `Idempotency-Key` already used, returns that task's id.
    func insertTask(
        _ request: CreateAsyncAnalyzeRequest, failure: (message: String, code: String)?, result: GeneratedResult,
        idempotency: (key: String, body: BodyFingerprint)?, now: Duration, date: Date
    ) -> (id: String, created: Bool) {
        let endpoints = configuration.webhooks.urls
        return storage.withLockedValue { storage in
            // A concurrent retry of the same create may have won the race: answer with its task.
            if let idempotency, let existing = storage.idempotency[idempotency.key] { return (existing.taskID, false) }
            storage.nextSequence += 1
            storage.createdCount += 1
            let id = Self.taskID(storage.nextSequence)
            storage.tasks[id] = TaskRecord(
                id: id, sequence: storage.nextSequence, customID: request.customID, video: request.video,
                analysisMode: request.analysisMode ?? configuration.rules.defaultMode, createdAt: now, createdDate: date,
                canceledAt: nil, failure: failure?.message, result: result,
                deliveries: endpoints.map { WebhookDelivery(url: $0, delivered: false, attempts: 0) })
            if let failure { storage.tasks[id]?.failureCode = failure.code }
            if let idempotency { storage.idempotency[idempotency.key] = (id, idempotency.body) }
            return (id, true)
        }
    }

    /// Task `id` as the platform would show it at `now`.
    func task(_ id: String, now: Duration) -> AnalyzeTask? {
        storage.withLockedValue { $0.tasks[id] }.map { view(of: $0, now: now) }
    }

    /// Deletes a finished task; an unfinished one is a conflict.
    func deleteTask(_ id: String, now: Duration) -> Change {
        storage.withLockedValue { storage in
            guard let record = storage.tasks[id] else { return .notFound }
            guard view(of: record, now: now).status.isTerminal else { return .conflict }
            storage.tasks[id] = nil
            return .done
        }
    }

    /// Cancels an unfinished task at `now` (`user_canceled`); a finished one is a conflict.
    func cancelTask(_ id: String, now: Duration) -> Change {
        storage.withLockedValue { storage in
            guard let record = storage.tasks[id] else { return .notFound }
            guard !view(of: record, now: now).status.isTerminal else { return .conflict }
            storage.tasks[id]?.canceledAt = now
            return .done
        }
    }

    /// The task as the platform would show it at `now`.
    func view(of record: TaskRecord, now: Duration) -> AnalyzeTask {
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
