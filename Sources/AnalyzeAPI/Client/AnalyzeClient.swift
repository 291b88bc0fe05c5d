public import Foundation
public import Logging
import PlatformRules

/// A client for TwelveLabs' async analysis tasks: create, retrieve, list (one page or all), delete, cancel,
/// and wait, with validation before sending, retries with backoff, and an `Idempotency-Key` per create.
///
/// One client is meant to be shared by every concurrent caller. Its lifecycle is explicit: call ``shutdown()``
/// when done, or use ``withClient(configuration:transport:_:)``.
///
/// ```swift
/// let result = try await AnalyzeClient.withClient(configuration: .fromEnvironment()) { client in
///     let task = try await client.createTask(request)
///     return try await client.waitForTask(task.id)
/// }
/// ```
public final class AnalyzeClient: Sendable {
    /// Everything a client needs. Its descriptions never show the API key.
    public struct Configuration: Sendable, CustomStringConvertible, CustomReflectable {
        /// The production base URL.
        public static let defaultBaseURL = "https://api.twelvelabs.io/v1.3"
        /// The environment variable holding the key.
        public static let apiKeyVariable = "TWELVE_LABS_API_KEY"
        /// The environment variable overriding the base URL.
        public static let baseURLVariable = "TWELVELABS_BASE_URL"

        /// Sent as `x-api-key`.
        public var apiKey: String
        /// Requests go to `baseURL` + `/analyze/tasks…`.
        public var baseURL: String
        /// When and how to retry a failed request.
        public var retryPolicy: RetryPolicy
        /// Limits for validating create requests before sending.
        public var requestPolicy: RequestPolicy
        /// Time source for backoff and waits.
        public var clock: any AnalyzeClock
        /// The time one HTTP attempt may take.
        public var requestTimeout: Duration
        /// Requests this client has in flight at most; the rest queue.
        public var maximumConcurrentRequests: Int
        /// Debug lines per attempt, warnings per retry; never headers or the key.
        public var logger: Logger

        /// A configuration; everything but the key has a production default.
        public init(
            apiKey: String,
            baseURL: String = Configuration.defaultBaseURL,
            retryPolicy: RetryPolicy = RetryPolicy(),
            requestPolicy: RequestPolicy = RequestPolicy(),
            clock: any AnalyzeClock = SystemClock(),
            requestTimeout: Duration = .seconds(60),
            maximumConcurrentRequests: Int = 32,
            logger: Logger = Logger(label: "AnalyzeAPI", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.apiKey = apiKey
            self.baseURL = baseURL
            self.retryPolicy = retryPolicy
            self.requestPolicy = requestPolicy
            self.clock = clock
            self.requestTimeout = requestTimeout
            self.maximumConcurrentRequests = maximumConcurrentRequests
            self.logger = logger
        }

        /// A configuration from `TWELVE_LABS_API_KEY` and `TWELVELABS_BASE_URL` (an explicit `baseURL` wins).
        ///
        /// - Throws: ``APIError`` with code ``APIError/Code/missingAPIKey`` naming the variable when no key is set.
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment,
            baseURL: String? = nil
        ) throws -> Configuration {
            guard let key = environment[apiKeyVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
                throw APIError(
                    code: .missingAPIKey, operation: .configure,
                    detail: "no API key: set the environment variable \(apiKeyVariable)")
            }
            let url = baseURL ?? environment[baseURLVariable].flatMap { $0.isEmpty ? nil : $0 } ?? defaultBaseURL
            return Configuration(apiKey: key, baseURL: url)
        }

        public var description: String {
            "AnalyzeClient.Configuration(baseURL: \(baseURL), apiKey: <redacted>, retryPolicy: \(retryPolicy))"
        }

        public var customMirror: Mirror {
            Mirror(self, children: [
                "baseURL": baseURL, "apiKey": "<redacted>", "retryPolicy": retryPolicy,
                "requestPolicy": requestPolicy, "requestTimeout": requestTimeout,
                "maximumConcurrentRequests": maximumConcurrentRequests,
            ])
        }
    }

    /// The configuration the client was created with.
    public let configuration: Configuration
    private let transport: any HTTPTransport
    private let ownedTransport: AsyncHTTPClientTransport?
    private let limiter: AsyncSemaphore
    private let base: String

    /// A client over `transport`, or over its own ``AsyncHTTPClientTransport`` when `transport` is `nil`.
    public init(configuration: Configuration, transport: (any HTTPTransport)? = nil) {
        self.configuration = configuration
        if let transport {
            self.transport = transport
            ownedTransport = nil
        } else {
            let owned = AsyncHTTPClientTransport(maximumConnectionsPerHost: configuration.maximumConcurrentRequests)
            self.transport = owned
            ownedTransport = owned
        }
        limiter = AsyncSemaphore(permits: configuration.maximumConcurrentRequests)
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
    }

    /// Releases the client's own transport (a no-op for an injected one). Call it once, when done.
    public func shutdown() async throws {
        try await ownedTransport?.shutdown()
    }

    /// Runs `body` with a new client and shuts it down afterwards, whether `body` returns or throws.
    public static func withClient<T: Sendable>(
        configuration: Configuration,
        transport: (any HTTPTransport)? = nil,
        _ body: (AnalyzeClient) async throws -> T
    ) async throws -> T {
        let client = AnalyzeClient(configuration: configuration, transport: transport)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    // MARK: - Operations

    /// Validates `request`, then creates a task (`POST /analyze/tasks`, answered 202).
    ///
    /// One `Idempotency-Key` is used for this logical create and reused on each retry, so a create whose answer
    /// was lost is not duplicated.
    ///
    /// - Parameters:
    ///   - idempotencyKey: The key to send; a fresh UUID when `nil`. Pass your own to make a create safe to
    ///     repeat across process restarts.
    ///   - retryPolicy: Overrides the client's policy for this create. A caller that reconciles an unknown
    ///     outcome itself (finds the task by its `custom_id` before creating again, as ingest does) passes
    ///     ``RetryPolicy/none`` so that a lost answer comes back to it instead of being sent again blindly.
    /// - Throws: ``APIError`` (``APIError/Code/validationFailed`` before anything is sent).
    public func createTask(
        _ request: CreateAsyncAnalyzeRequest, idempotencyKey: String? = nil, retryPolicy: RetryPolicy? = nil
    ) async throws -> TaskReference {
        try checkBeforeSending(RequestValidator(policy: configuration.requestPolicy).issues(in: request),
                               what: "create request", operation: .createTask)
        let body: Data
        do {
            body = try WireCoding.encoder().encode(request)
        } catch {
            throw APIError(code: .validationFailed, operation: .createTask, detail: "the request cannot be encoded", underlying: error)
        }
        let key = idempotencyKey ?? UUID().uuidString.lowercased()
        let response = try await send(
            .createTask, method: "POST", path: "/analyze/tasks", body: body,
            extraHeaders: [HTTPHeader("Idempotency-Key", key)], retryPolicy: retryPolicy)
        return try decode(TaskReference.self, from: response, operation: .createTask)
    }

    /// Retrieves a task (`GET /analyze/tasks/{id}`).
    public func retrieveTask(_ id: String) async throws -> AnalyzeTask {
        try await retrieveTask(id, operation: .retrieveTask, deadline: nil)
    }

    /// One page of tasks, newest first (`GET /analyze/tasks`).
    ///
    /// - Parameters:
    ///   - page: 1 or more.
    ///   - pageLimit: 1–50.
    ///   - status: Only tasks in this status.
    ///   - videoURL: Only tasks on this `url` video source.
    ///   - assetID: Only tasks on this asset.
    ///   - analysisMode: Only tasks in this analysis mode (`general`, `time_based_metadata`).
    public func listTasks(
        page: Int = 1, pageLimit: Int = 10, status: TaskStatus? = nil, videoURL: String? = nil, assetID: String? = nil,
        analysisMode: String? = nil
    ) async throws -> TaskPage {
        try checkPaging(page: page, pageLimit: pageLimit, operation: .listTasks)
        var query = "page=\(page)&page_limit=\(pageLimit)"
        if let status { query += "&status=\(Self.escapeQuery(status.rawValue))" }
        if let videoURL { query += "&video_url=\(Self.escapeQuery(videoURL))" }
        if let assetID { query += "&asset_id=\(Self.escapeQuery(assetID))" }
        if let analysisMode { query += "&analysis_mode=\(Self.escapeQuery(analysisMode))" }
        let response = try await send(.listTasks, method: "GET", path: "/analyze/tasks?" + query)
        return try decode(TaskPage.self, from: response, operation: .listTasks)
    }

    /// Every task across all pages, newest first, fetched a page at a time as the sequence is iterated.
    public func allTasks(
        pageLimit: Int = 50, status: TaskStatus? = nil, videoURL: String? = nil, assetID: String? = nil, analysisMode: String? = nil
    ) -> TaskListSequence {
        TaskListSequence(client: self, pageLimit: pageLimit, status: status, videoURL: videoURL, assetID: assetID, analysisMode: analysisMode)
    }

    /// Deletes a finished task (`DELETE /analyze/tasks/{id}`; 200 or 204).
    ///
    /// - Throws: ``APIError`` with ``APIError/Code/conflict`` while the task is processing,
    ///   ``APIError/Code/notFound`` for an unknown id.
    public func deleteTask(_ id: String) async throws {
        _ = try await send(.deleteTask, method: "DELETE", path: "/analyze/tasks/" + Self.escapePath(id))
    }

    /// Cancels an unfinished task (`POST /analyze/tasks/{id}/cancel`).
    ///
    /// - Throws: ``APIError`` with ``APIError/Code/conflict`` when the task has already finished.
    public func cancelTask(_ id: String) async throws -> TaskReference {
        let response = try await send(.cancelTask, method: "POST", path: "/analyze/tasks/" + Self.escapePath(id) + "/cancel")
        return try decode(TaskReference.self, from: response, operation: .cancelTask)
    }

    // MARK: - Internals

    /// Logs the warnings of a local validation and throws ``APIError/Code/validationFailed`` with every issue
    /// when there is an error: nothing is sent then.
    func checkBeforeSending(_ issues: [ValidationIssue], what: String, operation: APIError.Operation) throws {
        for warning in issues where warning.severity == .warning {
            configuration.logger.warning("\(what): \(warning)")
        }
        if issues.contains(where: { $0.severity == .error }) {
            throw APIError(code: .validationFailed, operation: operation, validationIssues: issues)
        }
    }

    /// Refuses a `page` below 1 or a `page_limit` outside 1–50 before anything is sent.
    func checkPaging(page: Int, pageLimit: Int, operation: APIError.Operation) throws {
        guard page >= 1 else {
            throw APIError(code: .validationFailed, operation: operation, validationIssues: [
                ValidationIssue(severity: .error, field: "page", code: "page_out_of_range", message: "page must be 1 or more."),
            ])
        }
        let allowed = configuration.requestPolicy.rules.pageLimit
        guard allowed.contains(pageLimit) else {
            throw APIError(code: .validationFailed, operation: operation, validationIssues: [
                ValidationIssue(severity: .error, field: "page_limit", code: "page_limit_out_of_range",
                                message: "page_limit must be \(allowed.lowerBound)–\(allowed.upperBound)."),
            ])
        }
    }

    func retrieveTask(_ id: String, operation: APIError.Operation, deadline: Duration?) async throws -> AnalyzeTask {
        let response = try await send(operation, method: "GET", path: "/analyze/tasks/" + Self.escapePath(id), deadline: deadline)
        return try decode(AnalyzeTask.self, from: response, operation: operation)
    }

    /// Sends one logical API request with the key, retrying per the policy. `deadline` (on the client clock)
    /// bounds the retries further than the policy's own total deadline.
    func send(
        _ operation: APIError.Operation, method: String, path: String, body: Data? = nil,
        extraHeaders: [HTTPHeader] = [], accept: String = "application/json", deadline: Duration? = nil,
        retryPolicy: RetryPolicy? = nil
    ) async throws -> TransportResponse {
        try await sendAuthenticated(
            operation, method: method, path: path, content: body.map(RequestBody.data),
            contentType: body == nil ? nil : "application/json", extraHeaders: extraHeaders, accept: accept, deadline: deadline,
            retryPolicy: retryPolicy)
    }

    /// Sends one logical API request with the key and any body (streamed ones are re-made per attempt).
    func sendAuthenticated(
        _ operation: APIError.Operation, method: String, path: String, content: RequestBody?, contentType: String?,
        extraHeaders: [HTTPHeader] = [], accept: String = "application/json", deadline: Duration? = nil,
        retryPolicy: RetryPolicy? = nil
    ) async throws -> TransportResponse {
        var headers = [HTTPHeader("x-api-key", configuration.apiKey), HTTPHeader("Accept", accept)]
        if let contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        headers += extraHeaders
        let request = TransportRequest(method: method, url: base + path, headers: headers, content: content)
        return try await perform(operation, request, logPath: Self.pathOnly(path), deadline: deadline, retryPolicy: retryPolicy)
    }

    /// Sends `request` exactly as given (no key is added), retrying per the policy. The request's body, when
    /// streamed, is produced anew for each attempt.
    func perform(
        _ operation: APIError.Operation, _ request: TransportRequest, logPath: String, deadline: Duration? = nil,
        retryPolicy: RetryPolicy? = nil
    ) async throws -> TransportResponse {
        let policy = retryPolicy ?? configuration.retryPolicy
        let clock = configuration.clock
        let started = clock.now()
        let stopAt = min(started + policy.totalDeadline, deadline ?? .seconds(Int64.max / 2))
        let method = request.method
        let path = logPath
        var generator = SystemRandomNumberGenerator()
        var attempt = 0

        while true {
            attempt += 1
            try Task.checkCancellation()
            let failure: APIError
            let outcome: Result<TransportResponse, any Error>
            let sent = ContinuousClock.now
            do {
                outcome = .success(try await limiter.withPermit {
                    try await transport.send(request, timeout: configuration.requestTimeout)
                })
            } catch {
                outcome = .failure(error)
            }
            RequestMetrics.record(operation, outcome: outcome, duration: ContinuousClock.now - sent)
            switch outcome {
            case .success(let response):
                configuration.logger.debug("\(method) \(Self.pathOnly(path)) → \(response.status) (attempt \(attempt))")
                if (200..<300).contains(response.status) { return response }
                failure = makeError(operation, response: response, attempts: attempt)
                guard policy.retryableStatuses.contains(response.status) else { throw failure }
            case .failure(let error):
                if error is CancellationError || Task.isCancelled { throw CancellationError() }
                if let fileError = (error as? FileReadError) ?? ((error as? TransportError)?.underlying as? FileReadError) {
                    // The body's file is unreadable or changed: sending it again cannot help.
                    throw APIError(code: .fileUnreadable, operation: operation, attempts: attempt,
                                   detail: fileError.message, underlying: fileError)
                }
                failure = APIError(
                    code: .connectionFailed, operation: operation, attempts: attempt,
                    detail: scrub("\(method) \(Self.pathOnly(path)): \(error)"), underlying: error)
                configuration.logger.debug("\(method) \(Self.pathOnly(path)) → no answer (attempt \(attempt)): \(scrub(String(describing: error)))")
            }
            let serverDelay = failure.retryAfter

            guard attempt < policy.maximumAttempts else { throw failure }
            if let serverDelay, serverDelay > policy.maximumServerDelay { throw failure }
            var delay = policy.backoff(retry: attempt, unit: Double.random(in: 0..<1, using: &generator))
            if let serverDelay {
                // Honour the server's wait, plus up to 10 % so that a burst does not return all at once.
                delay = serverDelay + .seconds(double: serverDelay.seconds * 0.1 * Double.random(in: 0..<1, using: &generator))
            }
            if clock.now() + delay > stopAt {
                var stopped = failure
                stopped.detail = [failure.detail, "retry deadline reached"].compactMap { $0 }.joined(separator: "; ")
                throw stopped
            }
            // "429 from the API, retrying in 12 s (attempt 2 of 6)": what happened, what comes next.
            let what = failure.status.map { "\($0) from the API" } ?? (failure.detail.map { scrub($0) } ?? failure.code.rawValue)
            configuration.logger.warning(
                "\(operation): \(what), retrying in \(delay.seconds.formatted2) s (attempt \(attempt + 1) of \(policy.maximumAttempts))")
            try await clock.sleep(for: delay)
        }
    }

    func makeError(_ operation: APIError.Operation, response: TransportResponse, attempts: Int) -> APIError {
        let parsed = PlatformErrorBody.parse(response.body)
        var message = parsed?.message
        if parsed == nil, !response.body.isEmpty {
            let text = String(decoding: response.body.prefix(2048), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? nil : text
        }
        let requestID = ["x-request-id", "request-id", "x-amzn-requestid"].lazy.compactMap { response.header($0) }.first
        return APIError(
            code: APIError.code(forStatus: response.status), operation: operation, status: response.status,
            platformCode: parsed?.code.map(scrub), platformMessage: message.map(scrub), requestID: requestID.map(scrub),
            retryAfter: RetryHints.delay(in: response.headers, now: configuration.clock.currentDate()),
            attempts: attempts,
            detail: (300..<400).contains(response.status)
                ? "redirects are not followed (location withheld so the API key stays with \(Self.origin(of: base)))" : nil)
    }

    func decode<T: Decodable>(_ type: T.Type, from response: TransportResponse, operation: APIError.Operation) throws -> T {
        do {
            return try WireCoding.decoder().decode(T.self, from: response.body)
        } catch {
            throw APIError(
                code: .invalidResponse, operation: operation, status: response.status,
                detail: "the \(response.status) answer is not a valid \(T.self)", underlying: error)
        }
    }

    /// Removes the API key from any text the client keeps from a response or an error.
    func scrub(_ text: String) -> String {
        let key = configuration.apiKey
        guard !key.isEmpty else { return text }
        return text.replacingOccurrences(of: key, with: "<redacted>")
    }

    static func escapePath(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    static func escapeQuery(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func pathOnly(_ path: String) -> String {
        path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
    }

    private static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "the configured origin" }
        return "\(components.scheme ?? "https")://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }
}
