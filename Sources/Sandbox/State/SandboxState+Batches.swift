import AnalyzeAPI
import Foundation
import NIOConcurrencyHelpers
import PlatformRules
import Synchronization

/// Batches' state changes, and how a batch and its items look at a given time, as plain methods.
/// Each item is a task (``TaskRecord`` with a `batchID`) that waits `delay` for one of
/// ``SandboxConfiguration/batchItemsAtOnce`` processing slots, then follows the task lifecycle.
extension SandboxState {
    /// What ``insertBatch(_:items:failures:idempotency:now:date:)`` did.
    enum BatchInsertion: Sendable, Equatable {
        case created(String)
        /// The scoped `Idempotency-Key` was used before: that batch.
        case existing(String)
        /// The account already has this many active batches, the most allowed.
        case limitReached(Int)
    }

    /// Stores a batch and one task per item, unless the account has ``BatchLimits/maxActive`` active
    /// batches. `failures[i]`, when set, is why item `i` fails alone (`video_duration_too_long`).
    func insertBatch(
        _ batch: CreateAnalyzeBatchRequest, items: [CreateAsyncAnalyzeRequest], failures: [String?],
        idempotency: (key: String, body: BodyFingerprint)?, now: Duration, date: Date
    ) -> BatchInsertion {
        let lifecycle = configuration.lifecycle
        let atOnce = max(1, configuration.batchItemsAtOnce)
        let endpoints = configuration.webhooks.urls
        let results = items.map(ResultGenerator.result(for:))
        return storage.withLockedValue { storage in
            if let idempotency, let existing = storage.batchIdempotency[idempotency.key] { return .existing(existing.batchID) }
            let active = storage.batches.values.filter { !status(of: $0, tasks: storage.tasks, now: now).isTerminal }.count
            if active >= configuration.rules.batches.maxActive { return .limitReached(active) }
            storage.nextSequence += 1
            let batchID = Self.batchID(storage.nextSequence)
            var taskIDs: [String] = []
            for (index, item) in items.enumerated() {
                storage.nextSequence += 1
                storage.createdCount += 1
                let id = Self.taskID(storage.nextSequence)
                taskIDs.append(id)
                var record = TaskRecord(
                    id: id, sequence: storage.nextSequence, customID: item.customID, video: item.video,
                    analysisMode: batch.analysisMode, createdAt: now, createdDate: date, canceledAt: nil,
                    failure: failures.indices.contains(index) ? failures[index] : nil, result: results[index])
                record.batchID = batchID
                record.delay = lifecycle.processing * (index / atOnce)
                record.expiresAt = now + configuration.batchLifetime
                if record.failure != nil { record.failureCode = "video_duration_too_long" }
                storage.tasks[id] = record
            }
            storage.batches[batchID] = BatchRecord(
                id: batchID, sequence: storage.nextSequence, modelName: batch.modelName, analysisMode: batch.analysisMode,
                createdAt: now, createdDate: date, taskIDs: taskIDs,
                deliveries: endpoints.map { WebhookDelivery(url: $0, delivered: false, attempts: 0) })
            if let idempotency { storage.batchIdempotency[idempotency.key] = (batchID, idempotency.body) }
            return .created(batchID)
        }
    }

    /// Batch `id` as the platform would show it at `now`.
    func batch(_ id: String, now: Duration) -> AnalyzeBatch? {
        storage.withLockedValue { storage in storage.batches[id].map { view(of: $0, tasks: storage.tasks, now: now) } }
    }

    /// Every batch at `now`, newest first.
    func batches(now: Duration) -> [AnalyzeBatch] {
        storage.withLockedValue { storage in
            storage.batches.values.sorted { $0.sequence > $1.sequence }.map { view(of: $0, tasks: storage.tasks, now: now) }
        }
    }

    /// Batch `id`'s items, as tasks at `now`, in request order.
    func batchItems(_ id: String, now: Duration) -> [AnalyzeTask]? {
        storage.withLockedValue { storage in
            storage.batches[id].map { $0.taskIDs.compactMap { storage.tasks[$0] }.map { view(of: $0, now: now) } }
        }
    }

    /// Asks for a batch to be canceled at `now`: its items not yet processing are canceled (`batch_canceled`),
    /// processing ones finish. Asking again while canceling is done; a finished batch is a conflict.
    func cancelBatch(_ id: String, now: Duration) -> Change {
        let lifecycle = configuration.lifecycle
        return storage.withLockedValue { storage in
            guard let record = storage.batches[id] else { return .notFound }
            if status(of: record, tasks: storage.tasks, now: now).isTerminal { return .conflict }
            guard record.cancelRequestedAt == nil else { return .done }
            storage.batches[id]?.cancelRequestedAt = now
            for taskID in record.taskIDs {
                guard let task = storage.tasks[taskID], task.canceledAt == nil else { continue }
                if now < task.createdAt + task.delay + lifecycle.queued + lifecycle.pending {
                    storage.tasks[taskID]?.canceledAt = now
                    storage.tasks[taskID]?.cancelCode = "batch_canceled"
                }
            }
            return .done
        }
    }

    /// Deletes a completed, canceled or expired batch and its tasks; any other is a conflict.
    func deleteBatch(_ id: String, now: Duration) -> Change {
        storage.withLockedValue { storage in
            guard let record = storage.batches[id] else { return .notFound }
            guard status(of: record, tasks: storage.tasks, now: now).isTerminal else { return .conflict }
            for taskID in record.taskIDs { storage.tasks[taskID] = nil }
            storage.batches[id] = nil
            return .done
        }
    }

    /// A batch's status and counts from its items' states at `now`.
    func view(of record: BatchRecord, tasks: [String: TaskRecord], now: Duration) -> AnalyzeBatch {
        let items = record.taskIDs.compactMap { tasks[$0] }.map { view(of: $0, now: now) }
        var batch = AnalyzeBatch(
            id: record.id, analysisMode: record.analysisMode, modelName: record.modelName,
            status: status(of: record, items: items, now: now), totalItems: record.taskIDs.count,
            createdAt: record.createdDate, expiresAt: record.createdDate.addingTimeInterval(configuration.batchLifetime.seconds))
        for item in items {
            switch item.status {
            case .ready: batch.readyItems += 1
            case .failed: batch.failedItems += 1
            case .canceled: batch.canceledItems += 1
            case .processing: batch.processingItems += 1
            default: batch.queuedItems += 1
            }
        }
        let last = items.compactMap(\.completedAt).max()
        switch batch.status {
        case .completed: batch.completedAt = last
        case .canceled: batch.canceledAt = last
        case .expired: batch.expiredAt = batch.expiresAt
        default: break
        }
        if !record.deliveries.isEmpty { batch.webhooks = record.deliveries }
        return batch
    }

    func status(of record: BatchRecord, tasks: [String: TaskRecord], now: Duration) -> BatchStatus {
        status(of: record, items: record.taskIDs.compactMap { tasks[$0] }.map { view(of: $0, now: now) }, now: now)
    }

    func status(of record: BatchRecord, items: [AnalyzeTask], now: Duration) -> BatchStatus {
        if items.allSatisfy(\.status.isTerminal) {
            if items.contains(where: { $0.error?.code == "batch_expired" }) { return .expired }
            return record.cancelRequestedAt == nil ? .completed : .canceled
        }
        if record.cancelRequestedAt != nil { return .canceling }
        return items.contains { $0.status != .queued } ? .processing : .pending
    }


    static func batchID(_ sequence: Int) -> String {
        let hex = String(sequence, radix: 16)
        return "6720ba7c" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}
