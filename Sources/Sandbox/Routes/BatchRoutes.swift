import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PlatformRules
import Synchronization

/// `/analyze/batches*`: create (201), list, retrieve, results (JSON Lines), cancel (202) and delete, with
/// the platform's limits. Each item is a task (with its `batch_id`) that waits for one of
/// ``SandboxConfiguration/batchItemsAtOnce`` processing slots, then follows the task lifecycle.
extension SandboxResponder {
    func addBatchRoutes(to api: RouterGroup<SandboxContext>) {
        api.post("analyze/batches") { request, context in
            try await deliver(await createBatch(request, apiKey: request.headers[HTTPField.Name("x-api-key")!] ?? ""), context)
        }
        api.get("analyze/batches") { request, context in try await deliver(listBatches(request), context) }
        api.get("analyze/batches/:id") { _, context in
            let id = try context.parameters.require("id")
            return try await deliver(batchSnapshot(id).map { json(200, $0) } ?? noBatch(id), context)
        }
        api.get("analyze/batches/:id/results") { _, context in try await deliver(batchResults(try context.parameters.require("id")), context) }
        api.post("analyze/batches/:id/cancel") { _, context in try await deliver(cancelBatch(try context.parameters.require("id")), context) }
        api.delete("analyze/batches/:id") { _, context in try await deliver(deleteBatch(try context.parameters.require("id")), context) }
    }

    private func noBatch(_ id: String) -> Outcome {
        error(404, "resource_not_exist", "No batch with id \(id).")
    }

    // MARK: Create

    private func createBatch(_ request: Request, apiKey: String) async -> Outcome {
        let body: Data
        do {
            body = Data(try await request.body.collect(upTo: 16 << 20).readableBytesView)
        } catch {
            return self.error(413, "request_too_large", "The request body is over 16 MiB.")
        }
        let scopedKey = request.headers[HTTPField.Name("Idempotency-Key")!].map { apiKey + "\u{0}" + $0 }
        let fingerprint = BodyFingerprint(body)
        if let scopedKey, let existing = state.storage.withLock({ $0.batchIdempotency[scopedKey] }) {
            guard existing.body == fingerprint else {
                return error(409, "idempotency_key_reused", "This Idempotency-Key was used with a different request body.")
            }
            return created(existing.batchID)
        }
        let rules = configuration.rules
        let batch: CreateAnalyzeBatchRequest
        let items: [CreateAsyncAnalyzeRequest]
        do {
            (batch, items) = try BatchRequestCheck.parse(body, rules: rules)
        } catch {
            return self.error(error.status, error.code, error.message)
        }
        var durations: [Double?] = []
        for (index, item) in batch.requests.enumerated() {
            if let rejection = await assetRejection(item.assetID) {
                return error(rejection.status, rejection.code, "requests[\(index)]." + rejection.message)
            }
            durations.append(await assetDuration(item.assetID))
        }
        let spans = zip(items, durations).map { request, duration in
            duration.map { BatchValidator.analysedSeconds(duration: $0, start: request.startTime, end: request.endTime) }
        }
        let hours = spans.compactMap { $0 }.reduce(0, +) / 3600
        if hours > rules.batches.maxContentHours {
            return error(400, "batch_content_hours_exceeded",
                         "The batch holds \(Int(hours.rounded(.up))) content hours; the limit is \(Int(rules.batches.maxContentHours)).")
        }
        let longest = Double(rules.video.maxDurationMicroseconds) / 1_000_000

        let clock = configuration.clock
        let now = clock.now()
        let date = clock.currentDate()
        let lifecycle = configuration.lifecycle
        let atOnce = max(1, configuration.batchItemsAtOnce)
        let endpoints = configuration.webhooks.urls
        let outcome = state.storage.withLock { storage -> Result<String, Refusal> in
            if let scopedKey, let existing = storage.batchIdempotency[scopedKey] { return .success(existing.batchID) }
            let active = storage.batches.values.filter { !batchStatus(of: $0, tasks: storage.tasks, now: now).isTerminal }.count
            if active >= rules.batches.maxActive {
                return .failure(Refusal(error(409, "batch_limit_exceeded",
                    "The account already has \(active) active batches; at most \(rules.batches.maxActive) may be pending, processing or canceling.")))
            }
            storage.nextSequence += 1
            let batchID = Self.batchID(storage.nextSequence)
            var taskIDs: [String] = []
            for (index, item) in items.enumerated() {
                storage.nextSequence += 1
                storage.createdCount += 1
                let id = Self.taskID(storage.nextSequence)
                taskIDs.append(id)
                var record = SandboxState.TaskRecord(
                    id: id, sequence: storage.nextSequence, customID: item.customID, video: item.video,
                    analysisMode: batch.analysisMode, createdAt: now, createdDate: date, canceledAt: nil, failure: nil,
                    result: ResultGenerator.result(for: item))
                record.batchID = batchID
                record.delay = lifecycle.processing * (index / atOnce)
                record.expiresAt = now + configuration.batchLifetime
                if let span = spans[index], span > longest {
                    record.failure = "The analysed span (\(Int(span)) s) exceeds the maximum of \(Int(longest)) s."
                    record.failureCode = "video_duration_too_long"
                }
                storage.tasks[id] = record
            }
            storage.batches[batchID] = SandboxState.BatchRecord(
                id: batchID, sequence: storage.nextSequence, modelName: batch.modelName, analysisMode: batch.analysisMode,
                createdAt: now, createdDate: date, taskIDs: taskIDs,
                deliveries: endpoints.map { WebhookDelivery(url: $0, delivered: false, attempts: 0) })
            if let scopedKey { storage.batchIdempotency[scopedKey] = (batchID, fingerprint) }
            return .success(batchID)
        }
        switch outcome {
        case .failure(let refusal): return refusal.outcome
        case .success(let id):
            announceBatchWhenFinished(id)
            return created(id)
        }
    }

    /// The 201 answer for batch `id`.
    private func created(_ id: String) -> Outcome {
        let (record, tasks) = state.storage.withLock { storage in
            (storage.batches[id], storage.batches[id]?.taskIDs.compactMap { storage.tasks[$0] } ?? [])
        }
        guard let record else { return noBatch(id) }
        return json(201, CreatedBatch(
            id: id, status: .pending, totalItems: tasks.count, createdAt: record.createdDate,
            expiresAt: record.createdDate.addingTimeInterval(configuration.batchLifetime.seconds),
            items: tasks.map { CreatedBatchItem(taskID: $0.id, customID: $0.customID) }))
    }

    /// The asset's duration, measured once with ``SandboxConfiguration/durationProbe``.
    private func assetDuration(_ id: String) async -> Double? {
        guard let probe = configuration.durationProbe,
              let record = state.storage.withLock({ $0.assets.assets[id] }) else { return nil }
        if record.durationMeasured { return record.durationSeconds }
        var seconds: Double?
        if let file = record.file { seconds = await probe(file) }
        state.storage.withLock { storage in
            storage.assets.assets[id]?.durationSeconds = seconds
            storage.assets.assets[id]?.durationMeasured = true
        }
        return seconds
    }

    // MARK: Read

    /// The batch as the platform would show it now.
    func batchSnapshot(_ id: String) -> AnalyzeBatch? {
        let now = configuration.clock.now()
        return state.storage.withLock { storage in
            storage.batches[id].map { batch(from: $0, tasks: storage.tasks, now: now) }
        }
    }

    /// A batch's status and counts from its items' states at `now`.
    func batch(from record: SandboxState.BatchRecord, tasks: [String: SandboxState.TaskRecord], now: Duration) -> AnalyzeBatch {
        let items = record.taskIDs.compactMap { tasks[$0] }.map { task(from: $0, now: now) }
        var batch = AnalyzeBatch(
            id: record.id, analysisMode: record.analysisMode, modelName: record.modelName,
            status: batchStatus(of: record, items: items, now: now), totalItems: record.taskIDs.count,
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

    private func batchStatus(of record: SandboxState.BatchRecord, tasks: [String: SandboxState.TaskRecord], now: Duration) -> BatchStatus {
        batchStatus(of: record, items: record.taskIDs.compactMap { tasks[$0] }.map { task(from: $0, now: now) }, now: now)
    }

    private func batchStatus(of record: SandboxState.BatchRecord, items: [AnalyzeTask], now: Duration) -> BatchStatus {
        if items.allSatisfy(\.status.isTerminal) {
            if items.contains(where: { $0.error?.code == "batch_expired" }) { return .expired }
            return record.cancelRequestedAt == nil ? .completed : .canceled
        }
        if record.cancelRequestedAt != nil { return .canceling }
        return items.contains { $0.status != .queued } ? .processing : .pending
    }

    /// `GET /analyze/batches/{id}/results`: one JSON line per item, in request order.
    private func batchResults(_ id: String) -> Outcome {
        let now = configuration.clock.now()
        guard let items = state.storage.withLock({ storage in
            storage.batches[id].map { $0.taskIDs.compactMap { storage.tasks[$0] } }
        }) else { return noBatch(id) }
        let encoder = WireCoding.encoder()
        var body = Data()
        for record in items {
            let task = task(from: record, now: now)
            let line = BatchResultItem(
                taskID: task.id, customID: task.customID, status: task.status, data: task.status == .ready ? task.result : nil,
                error: task.status == .ready ? nil : task.error)
            body.append((try? encoder.encode(line)) ?? Data("{}".utf8))
            body.append(0x0A)
        }
        var outcome = Outcome(status: 200, body: body)
        outcome.contentType = "application/jsonl"
        return outcome
    }

    /// `GET /analyze/batches`: newest first, filtered by any of the repeated `status` and `analysis_mode` values.
    private func listBatches(_ request: Request) -> Outcome {
        let paging: Paging
        do { paging = try self.paging(Self.query(request)) } catch { return error.outcome }
        let statuses = Set(request.uri.queryParameters.getAll("status").map { BatchStatus(rawValue: $0) })
        let modes = Set(request.uri.queryParameters.getAll("analysis_mode"))
        if let bad = statuses.first(where: { !BatchStatus.known.contains($0) }) {
            return error(400, "parameter_invalid", "status \(bad) is not one of \(BatchStatus.known.map(\.rawValue).joined(separator: ", ")).")
        }
        if let bad = modes.first(where: { !configuration.rules.analysisModes.contains($0) }) {
            return error(400, "parameter_invalid", "analysis_mode \(bad) is not one of \(configuration.rules.analysisModes.sorted().joined(separator: ", ")).")
        }
        let now = configuration.clock.now()
        let all = state.storage.withLock { storage in
            storage.batches.values.sorted { $0.sequence > $1.sequence }.map { batch(from: $0, tasks: storage.tasks, now: now) }
        }
        let matching = all.filter { (statuses.isEmpty || statuses.contains($0.status)) && (modes.isEmpty || modes.contains($0.analysisMode)) }
        let (slice, info) = paging.slice(matching)
        return json(200, BatchPage(data: slice, pageInfo: info))
    }

    // MARK: Cancel and delete

    /// Cancels the queued items now; processing ones finish. 202 with the batch as it is.
    private func cancelBatch(_ id: String) -> Outcome {
        let now = configuration.clock.now()
        let lifecycle = configuration.lifecycle
        let refused = state.storage.withLock { storage -> Outcome? in
            guard var record = storage.batches[id] else { return noBatch(id) }
            let status = batchStatus(of: record, tasks: storage.tasks, now: now)
            if status.isTerminal { return error(409, "batch_already_finished", "The batch is already \(status).") }
            guard record.cancelRequestedAt == nil else { return nil }
            record.cancelRequestedAt = now
            storage.batches[id] = record
            for taskID in record.taskIDs {
                guard var task = storage.tasks[taskID] else { continue }
                let processingFrom = task.createdAt + task.delay + lifecycle.queued + lifecycle.pending
                if now < processingFrom, task.canceledAt == nil {
                    task.canceledAt = now
                    task.cancelCode = "batch_canceled"
                    storage.tasks[taskID] = task
                }
            }
            return nil
        }
        if let refused { return refused }
        return batchSnapshot(id).map { json(202, $0) } ?? noBatch(id)
    }

    /// Deletes a finished batch and its tasks.
    private func deleteBatch(_ id: String) -> Outcome {
        let now = configuration.clock.now()
        return state.storage.withLock { storage -> Outcome in
            guard let record = storage.batches[id] else { return noBatch(id) }
            let status = batchStatus(of: record, tasks: storage.tasks, now: now)
            guard status.isTerminal else {
                return error(409, "batch_not_finished", "The batch is \(status); cancel it or wait until it is completed, canceled or expired.")
            }
            for taskID in record.taskIDs { storage.tasks[taskID] = nil }
            storage.batches[id] = nil
            return Outcome(status: 200, body: nil)
        }
    }

    static func batchID(_ sequence: Int) -> String {
        let hex = String(sequence, radix: 16)
        return "6720ba7c" + String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}
