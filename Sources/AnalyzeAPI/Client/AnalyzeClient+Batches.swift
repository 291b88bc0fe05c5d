import Foundation
import Logging

extension AnalyzeClient {
    /// Validates `batch` with ``BatchValidator``, then creates it (`POST /analyze/batches`, answered 201).
    ///
    /// An `Idempotency-Key` is sent and reused on retries, as for tasks, so that a create whose answer was
    /// lost is not repeated as a second batch by a server that honours it.
    ///
    /// - Parameters:
    ///   - contentSeconds: Each request's asset duration in seconds, in request order, when known: the
    ///     2,000-content-hour limit is then checked before sending.
    ///   - idempotencyKey: The key to send; a fresh UUID when `nil`.
    ///   - retryPolicy: Overrides the client's policy for this create (as for ``createTask(_:idempotencyKey:retryPolicy:)``).
    /// - Throws: ``APIError`` (``APIError/Code/validationFailed`` before anything is sent;
    ///   ``APIError/Code/conflict`` when the account already has its most active batches).
    public func createBatch(
        _ batch: CreateAnalyzeBatchRequest, contentSeconds: [Double]? = nil, idempotencyKey: String? = nil,
        retryPolicy: RetryPolicy? = nil
    ) async throws -> CreatedBatch {
        try checkBeforeSending(BatchValidator(policy: configuration.requestPolicy).issues(in: batch, contentSeconds: contentSeconds),
                               what: "create batch", operation: .createBatch)
        let body = try encode(batch, operation: .createBatch)
        let response = try await send(
            .createBatch, method: "POST", path: "/analyze/batches", body: body,
            extraHeaders: [HTTPHeader("Idempotency-Key", idempotencyKey ?? UUID().uuidString.lowercased())], retryPolicy: retryPolicy)
        return try decode(CreatedBatch.self, from: response, operation: .createBatch)
    }

    /// Retrieves a batch's status and item counts (`GET /analyze/batches/{id}`).
    public func retrieveBatch(_ id: String) async throws -> AnalyzeBatch {
        try await retrieveBatch(id, operation: .retrieveBatch, deadline: nil)
    }

    /// One page of batches, newest first (`GET /analyze/batches`).
    ///
    /// - Parameters:
    ///   - status: Only batches in any of these statuses (sent as repeated `status`).
    ///   - analysisModes: Only batches in any of these modes (repeated `analysis_mode`).
    public func listBatches(
        page: Int = 1, pageLimit: Int = 10, status: [BatchStatus] = [], analysisModes: [String] = []
    ) async throws -> BatchPage {
        try checkPaging(page: page, pageLimit: pageLimit, operation: .listBatches)
        var query = "page=\(page)&page_limit=\(pageLimit)"
        for value in status { query += "&status=\(Self.escapeQuery(value.rawValue))" }
        for mode in analysisModes { query += "&analysis_mode=\(Self.escapeQuery(mode))" }
        let response = try await send(.listBatches, method: "GET", path: "/analyze/batches?" + query)
        return try decode(BatchPage.self, from: response, operation: .listBatches)
    }

    /// Every item's state now (`GET /analyze/batches/{id}/results`, JSON Lines), readable while the batch
    /// runs: `ready` items carry their result, `failed` ones their error.
    public func batchResults(_ id: String) async throws -> [BatchResultItem] {
        try await batchResults(id, deadline: nil)
    }

    /// Each item of a batch once, as it finishes (`ready`, `failed` or `canceled`): the batch is polled with
    /// `options`' pauses, and its results are read only when more items have finished, until the batch is
    /// `completed`, `canceled` or `expired` and every finished item has been yielded.
    ///
    /// The sequence ends normally then, and throws ``APIError`` on a poll failure that is not transient (or too
    /// many in a row), or with ``APIError/Code/requestTimeout`` when `options.timeout` passes first. Cancelling
    /// the iterating task stops the polling.
    public func finishedBatchItems(_ id: String, options: WaitOptions = WaitOptions()) -> AsyncThrowingStream<BatchResultItem, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: BatchResultItem.self)
        let polling = Task {
            var yielded: Set<String> = []
            var finishedSeen = 0
            do {
                let outcome = try await poll(
                    what: "batch \(id) results", options: options,
                    fetch: { deadline -> Bool in
                        let batch = try await self.retrieveBatch(id, operation: .batchResults, deadline: deadline)
                        let finished = batch.finishedItems
                        if finished > finishedSeen || batch.status.isTerminal {
                            for item in try await self.batchResults(id, deadline: deadline)
                            where item.status.isTerminal && yielded.insert(item.taskID).inserted {
                                continuation.yield(item)
                            }
                            finishedSeen = finished
                        }
                        return batch.status.isTerminal
                    },
                    observe: { _ in },
                    isTerminal: { $0 })
                if case .timedOut = outcome {
                    throw APIError(
                        code: .requestTimeout, operation: .batchResults,
                        detail: "batch \(id): \(yielded.count) items finished before the \(options.timeout.seconds.formatted2) s timeout")
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in polling.cancel() }
        return stream
    }

    /// Polls a batch until it is `completed`, `canceled` or `expired`, or `options.timeout` passes, with the
    /// same backoff, jitter, deadline, clock and failure tolerance as ``waitForTask(_:options:)``.
    /// (`options.onUpdate` is for tasks; pass `onUpdate` to observe the batch.)
    public func waitForBatch(
        _ id: String, options: WaitOptions = WaitOptions(), onUpdate: (@Sendable (AnalyzeBatch) -> Void)? = nil
    ) async throws -> BatchWaitOutcome {
        let polled = try await poll(
            what: "batch \(id)", options: options,
            fetch: { deadline in try await self.retrieveBatch(id, operation: .waitForBatch, deadline: deadline) },
            observe: { onUpdate?($0) },
            isTerminal: { $0.status.isTerminal })
        switch polled {
        case .finished(let batch): return .finished(batch)
        case .timedOut(let lastSeen, let lastError): return .timedOut(lastSeen: lastSeen, lastError: lastError)
        }
    }

    /// Asks for a batch to be canceled (`POST /analyze/batches/{id}/cancel`, answered 202): queued items are
    /// canceled, processing ones finish; the batch is `canceling` until they have.
    ///
    /// - Throws: ``APIError`` with ``APIError/Code/conflict`` when the batch has already finished.
    public func cancelBatch(_ id: String) async throws -> AnalyzeBatch {
        let response = try await send(.cancelBatch, method: "POST", path: "/analyze/batches/" + Self.escapePath(id) + "/cancel")
        return try decode(AnalyzeBatch.self, from: response, operation: .cancelBatch)
    }

    /// Deletes a finished batch and its tasks (`DELETE /analyze/batches/{id}`).
    ///
    /// - Throws: ``APIError`` with ``APIError/Code/conflict`` while it is pending, processing or canceling.
    public func deleteBatch(_ id: String) async throws {
        _ = try await send(.deleteBatch, method: "DELETE", path: "/analyze/batches/" + Self.escapePath(id))
    }

    func retrieveBatch(_ id: String, operation: APIError.Operation, deadline: Duration?) async throws -> AnalyzeBatch {
        let response = try await send(operation, method: "GET", path: "/analyze/batches/" + Self.escapePath(id), deadline: deadline)
        return try decode(AnalyzeBatch.self, from: response, operation: operation)
    }

    func batchResults(_ id: String, deadline: Duration?) async throws -> [BatchResultItem] {
        let response = try await send(
            .batchResults, method: "GET", path: "/analyze/batches/" + Self.escapePath(id) + "/results",
            accept: "application/jsonl, application/json", deadline: deadline)
        do {
            return try BatchResultItem.items(inResults: response.body)
        } catch {
            throw APIError(
                code: .invalidResponse, operation: .batchResults, status: response.status,
                detail: "the \(response.status) answer is not JSON Lines of batch result items", underlying: error)
        }
    }
}

/// How ``AnalyzeClient/waitForBatch(_:options:onUpdate:)`` ended.
public enum BatchWaitOutcome: Sendable {
    /// The batch is `completed`, `canceled` or `expired`; read its item counts.
    case finished(AnalyzeBatch)
    /// The deadline passed first.
    case timedOut(lastSeen: AnalyzeBatch?, lastError: APIError?)

    /// The batch as last seen.
    public var batch: AnalyzeBatch? {
        switch self {
        case .finished(let batch): batch
        case .timedOut(let batch, _): batch
        }
    }
}
