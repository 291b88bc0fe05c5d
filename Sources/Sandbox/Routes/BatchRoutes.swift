import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
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
        error(404, .resourceNotExist, "No batch with id \(id).")
    }

    // MARK: Create

    private func createBatch(_ request: Request, apiKey: String) async -> Outcome {
        let body: Data
        do {
            body = Data(try await request.body.collect(upTo: 16 << 20).readableBytesView)
        } catch {
            return self.error(413, .requestTooLarge, "The request body is over 16 MiB.")
        }
        let scopedKey = configuration.honorsIdempotencyKeys
            ? request.headers[HTTPField.Name("Idempotency-Key")!].map { apiKey + "\u{0}" + $0 } : nil
        let fingerprint = BodyFingerprint(body)
        if let scopedKey, let existing = state.storage.withLockedValue({ $0.batchIdempotency[scopedKey] }) {
            guard existing.body == fingerprint else {
                return error(409, .idempotencyKeyReused, "This Idempotency-Key was used with a different request body.")
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
            duration.map { Self.analysedSeconds(duration: $0, start: request.startTime, end: request.endTime) }
        }
        let hours = spans.compactMap { $0 }.reduce(0, +) / 3600
        if hours > rules.batches.maxContentHours {
            return error(400, .batchContentHoursExceeded,
                         "The batch holds \(Int(hours.rounded(.up))) content hours; the limit is \(Int(rules.batches.maxContentHours)).")
        }
        let longest = rules.request.window.upperBound

        let clock = configuration.clock
        let failures = spans.map { span in
            span.flatMap { $0 > longest ? "The analysed span (\(Int($0)) s) exceeds the maximum of \(Int(longest)) s." : nil }
        }
        switch state.insertBatch(batch, items: items, failures: failures, idempotency: scopedKey.map { ($0, fingerprint) },
                                 now: clock.now(), date: clock.currentDate()) {
        case .limitReached(let active):
            return error(409, .batchLimitExceeded,
                "The account already has \(active) active batches; at most \(rules.batches.maxActive) may be pending, processing or canceling.")
        case .created(let id):
            announceBatchWhenFinished(id)
            return created(id)
        case .existing(let id):
            return created(id)
        }
    }

    /// The 201 answer for batch `id`.
    private func created(_ id: String) -> Outcome {
        let (record, tasks) = state.storage.withLockedValue { storage in
            (storage.batches[id], storage.batches[id]?.taskIDs.compactMap { storage.tasks[$0] } ?? [])
        }
        guard let record else { return noBatch(id) }
        return json(201, CreatedBatch(
            id: id, status: .pending, totalItems: tasks.count, createdAt: record.createdDate,
            expiresAt: record.createdDate.addingTimeInterval(configuration.batchLifetime.seconds),
            items: tasks.map { CreatedBatchItem(taskID: $0.id, customID: $0.customID) }))
    }

    // MARK: Read

    /// The batch as the platform would show it now.
    func batchSnapshot(_ id: String) -> AnalyzeBatch? {
        state.batch(id, now: configuration.clock.now())
    }

    /// `GET /analyze/batches/{id}/results`: one JSON line per item, in request order.
    private func batchResults(_ id: String) -> Outcome {
        let now = configuration.clock.now()
        guard let items = state.batchItems(id, now: now) else { return noBatch(id) }
        let encoder = WireCoding.encoder()
        var body = Data()
        for task in items {
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
            return error(400, .parameterInvalid, "status \(bad) is not one of \(BatchStatus.known.map(\.rawValue).joined(separator: ", ")).")
        }
        if let bad = modes.first(where: { !configuration.rules.analysisModes.contains($0) }) {
            return error(400, .parameterInvalid, "analysis_mode \(bad) is not one of \(configuration.rules.analysisModes.sorted().joined(separator: ", ")).")
        }
        let now = configuration.clock.now()
        let all = state.batches(now: now)
        let matching = all.filter { (statuses.isEmpty || statuses.contains($0.status)) && (modes.isEmpty || modes.contains($0.analysisMode)) }
        let (slice, info) = paging.slice(matching)
        return json(200, BatchPage(data: slice, pageInfo: info))
    }

    // MARK: Cancel and delete

    /// Cancels the queued items now; processing ones finish. 202 with the batch as it is.
    private func cancelBatch(_ id: String) -> Outcome {
        switch state.cancelBatch(id, now: configuration.clock.now()) {
        case .notFound: noBatch(id)
        case .conflict: error(409, .batchAlreadyFinished, "The batch is already \(batchSnapshot(id)?.status.rawValue ?? "finished").")
        case .done: batchSnapshot(id).map { json(202, $0) } ?? noBatch(id)
        }
    }

    /// Deletes a finished batch and its tasks.
    private func deleteBatch(_ id: String) -> Outcome {
        switch state.deleteBatch(id, now: configuration.clock.now()) {
        case .notFound: noBatch(id)
        case .conflict:
            error(409, .batchNotFinished,
                  "The batch is \(batchSnapshot(id)?.status.rawValue ?? "unfinished"); cancel it or wait until it is completed, canceled or expired.")
        case .done: Outcome(status: 200, body: nil)
        }
    }
}
