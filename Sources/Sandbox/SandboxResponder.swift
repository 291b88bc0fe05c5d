import AnalyzeAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PlatformRules
import Synchronization

/// The request context: Hummingbird's basics plus the channel, so a fault can close the connection unanswered.
struct SandboxContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Answers every request: redirect, authentication, rate limit, scripted and random faults, then the API.
struct SandboxResponder: HTTPResponder {
    typealias Context = SandboxContext

    let state: SandboxState
    var configuration: SandboxConfiguration { state.configuration }

    func respond(to request: Request, context: SandboxContext) async throws -> Response {
        let clock = configuration.clock
        let receivedAt = clock.now()
        var path = request.uri.path
        if path.hasPrefix(SandboxConfiguration.pathPrefix + "/") { path.removeFirst(SandboxConfiguration.pathPrefix.count) }
        let apiKey = request.headers[HTTPField.Name("x-api-key")!]
        let idempotencyKey = request.headers[HTTPField.Name("Idempotency-Key")!]
        var outcome: Outcome
        if request.uri.path.hasPrefix(StorageRoute.pathPrefix) {
            outcome = await storagePut(request)
        } else if request.uri.path.hasPrefix(SandboxControl.pathPrefix) {
            outcome = await control(request)
        } else {
            let shape = configuration.errorShape ?? ErrorShape.published(method: request.method.rawValue, path: path)
            outcome = await ErrorShape.$current.withValue(shape) {
                await answer(request, path: path, apiKey: apiKey, context: context)
            }
        }

        let recorded = RecordedRequest(
            method: request.method.rawValue, path: path, receivedAt: receivedAt, apiKey: apiKey,
            idempotencyKey: idempotencyKey, status: outcome.dropped ? 0 : outcome.status,
            retryAfterSeconds: outcome.headers["Retry-After"].flatMap { Int($0) })
        state.record(recorded)
        configuration.logger.info(
            "\(request.method.rawValue) \(request.uri.path) → \(outcome.dropped ? "dropped" : String(outcome.status))")

        if outcome.dropped {
            try? await context.channel.close()
            throw SandboxDrop()
        }
        if let delay = outcome.delay { try await clock.sleep(for: delay) }
        var fields = HTTPFields()
        for (name, value) in outcome.headers.sorted(by: { $0.key < $1.key }) {
            fields[HTTPField.Name(name)!] = value
        }
        if outcome.body != nil { fields[.contentType] = outcome.contentType }
        outcome.headers = [:]
        return Response(
            status: HTTPResponse.Status(code: outcome.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: outcome.body ?? Data())))
    }

    /// What to answer, before it is written.
    struct Outcome {
        var status: Int
        var body: Data?
        var headers: [String: String] = [:]
        var dropped = false
        var delay: Duration?
        var contentType = "application/json"
    }

    private func answer(_ request: Request, path: String, apiKey: String?, context: SandboxContext) async -> Outcome {
        if let origin = configuration.redirectOrigin {
            var location = origin
            while location.hasSuffix("/") { location.removeLast() }
            return Outcome(status: 307, body: nil, headers: ["Location": location + request.uri.description])
        }
        guard let apiKey, apiKey == configuration.apiKey else {
            return error(401, "api_key_invalid", apiKey == nil ? "The x-api-key header is required." : "The API key is invalid.")
        }
        let now = configuration.clock.now()
        var rateHeaders: [String: String] = [:]
        if let decision = state.admit(key: apiKey, now: now) {
            let resetIn = max(1, Int(decision.resetIn.seconds.rounded(.up)))
            let resetEpoch = Int(configuration.clock.currentDate().timeIntervalSince1970.rounded(.down)) + resetIn
            rateHeaders = [
                "X-RateLimit-Limit": String(decision.limit), "X-RateLimit-Remaining": String(decision.remaining),
                "X-RateLimit-Reset": String(resetEpoch),
            ]
            if !decision.allowed {
                var outcome = error(429, "too_many_requests", "Rate limit of \(decision.limit) requests per minute exceeded.")
                outcome.headers = rateHeaders.merging(["Retry-After": String(resetIn)]) { $1 }
                return outcome
            }
        }
        if let scripted = state.takeScripted(path: path) {
            var outcome = Outcome(
                status: scripted.status,
                body: scripted.code.map { errorBody(code: $0, message: scripted.message, shape: scripted.shape) },
                headers: scripted.headers)
            outcome.headers.merge(rateHeaders) { current, _ in current }
            return outcome
        }

        let fault = state.drawFault()
        var after = false
        if let (kind, roll) = fault {
            switch kind {
            case .serverError:
                after = roll % 2 == 1
                if !after {
                    return error([500, 502, 503][Int(roll / 2 % 3)], "internal_error", "Injected server error.")
                }
            case .rateLimited:
                return Outcome(status: 429, body: nil, headers: ["Retry-After": "1"])
            case .dropConnection, .delay:
                after = true
            }
        }

        var outcome = await route(request, path: path, apiKey: apiKey)
        outcome.headers.merge(rateHeaders) { current, _ in current }
        if after, let (kind, roll) = fault {
            switch kind {
            case .serverError:
                // The request took effect; only the answer is lost.
                return error([500, 502, 503][Int(roll / 2 % 3)], "internal_error", "Injected server error.")
            case .dropConnection:
                outcome.dropped = true
            case .delay:
                outcome.delay = state.faultDelay
            case .rateLimited:
                break
            }
        }
        return outcome
    }

    private func route(_ request: Request, path: String, apiKey: String) async -> Outcome {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.first == "assets" { return await assetRoute(request, parts: parts) }
        if parts.count >= 2, parts[0] == "analyze", parts[1] == "batches" { return await batchRoute(request, parts: parts, apiKey: apiKey) }
        guard parts.count >= 2, parts[0] == "analyze", parts[1] == "tasks" else {
            return error(404, "resource_not_exist", "No route for \(path).")
        }
        let method = request.method
        switch (method, parts.count) {
        case (.post, 2):
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: 40_000_000)
            } catch {
                return self.error(400, "video_file_too_large", "The request body is too large.")
            }
            return await create(
                Data(body.readableBytesView), apiKey: apiKey,
                idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!])
        case (.get, 2):
            return list(Self.query(request))
        case (.get, 3):
            return retrieve(parts[2])
        case (.delete, 3):
            return delete(parts[2])
        case (.post, 4) where parts[3] == "cancel":
            return cancel(parts[2])
        default:
            return error(404, "resource_not_exist", "No route for \(method.rawValue) \(path).")
        }
    }

    // MARK: Operations

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

    /// The query parameters of `request`, the first of each name.
    static func query(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where query[String(key)] == nil {
            query[String(key)] = String(value)
        }
        return query
    }

    /// Which page of a list a request asks for.
    struct Paging {
        var page: Int
        var limit: Int

        /// This page of `items`, and its page info.
        func slice<C: Collection>(_ items: C) -> (items: [C.Element], info: PageInfo) {
            (Array(items.dropFirst((page - 1) * limit).prefix(limit)),
             PageInfo(limitPerPage: limit, page: page, totalPage: (items.count + limit - 1) / limit, totalResults: items.count))
        }
    }

    /// `page` (from 1, default 1) and `page_limit` (``PlatformRules/pageLimit``) of a list request, or the 400 to answer.
    func paging(_ query: [String: String]) throws(Refusal) -> Paging {
        let rules = configuration.rules
        let page = query["page"].map { Int($0) } ?? 1
        let limit = query["page_limit"].map { Int($0) } ?? rules.defaultPageLimit
        guard let page, page >= 1 else { throw Refusal(error(400, "parameter_invalid", "page must be an integer of 1 or more.")) }
        guard let limit, rules.pageLimit.contains(limit) else {
            throw Refusal(error(400, "parameter_invalid",
                "page_limit must be an integer between \(rules.pageLimit.lowerBound) and \(rules.pageLimit.upperBound)."))
        }
        return Paging(page: page, limit: limit)
    }

    /// An answer that ends a request early, as an error value.
    struct Refusal: Error {
        var outcome: Outcome
        init(_ outcome: Outcome) { self.outcome = outcome }
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

    // MARK: Helpers

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

    func json(_ status: Int, _ value: some Encodable) -> Outcome {
        Outcome(status: status, body: (try? WireCoding.encoder().encode(value)) ?? Data("{}".utf8))
    }

    func error(_ status: Int, _ code: String, _ message: String) -> Outcome {
        Outcome(status: status, body: errorBody(code: code, message: message, shape: ErrorShape.current ?? configuration.errorShape ?? .flat))
    }

    private func errorBody(code: String, message: String, shape: ErrorShape) -> Data {
        let fields: JSONValue = .object(["code": .string(code), "message": .string(message)])
        let body: JSONValue = shape == .nested ? .object(["error": fields]) : fields
        return (try? WireCoding.encoder().encode(body)) ?? Data()
    }
}

/// Thrown after an injected dropped connection: the channel is already closed, nothing is written.
struct SandboxDrop: Error {}
