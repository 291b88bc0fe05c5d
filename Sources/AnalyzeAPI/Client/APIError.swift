/// Every failure of an ``AnalyzeClient`` operation: one type with a stable ``code`` and the context to act on.
///
/// The API key never appears in an `APIError`: the client does not store request headers in it and scrubs the
/// key from any response text it keeps.
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable identifier (the same string `tl` prints in JSON).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The wire string.
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// 400: the platform rejected the request.
        public static let badRequest = Code(rawValue: "bad_request")
        /// 401: the API key is missing or invalid.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// 403: the key may not do this.
        public static let forbidden = Code(rawValue: "forbidden")
        /// 404: no such task (or route).
        public static let notFound = Code(rawValue: "not_found")
        /// 408: the server timed the request out.
        public static let requestTimeout = Code(rawValue: "request_timeout")
        /// 409: the task's state does not allow it (deleting a processing task, cancelling a finished one).
        public static let conflict = Code(rawValue: "conflict")
        /// 422: the platform cannot process the request (an unsupported JSON-schema keyword).
        public static let unprocessable = Code(rawValue: "unprocessable_entity")
        /// 429: rate limited.
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// 5xx.
        public static let serverError = Code(rawValue: "server_error")
        /// A 3xx: redirects are not followed, so that the key stays with the configured origin.
        public static let unexpectedRedirect = Code(rawValue: "unexpected_redirect")
        /// Any other unexpected HTTP status.
        public static let unexpectedStatus = Code(rawValue: "unexpected_status")
        /// No complete answer: refused, reset, closed early or timed out.
        public static let connectionFailed = Code(rawValue: "connection_failed")
        /// A success status whose body is not what the API documents.
        public static let invalidResponse = Code(rawValue: "invalid_response")
        /// The request failed local validation and was not sent (see ``APIError/validationIssues``).
        public static let validationFailed = Code(rawValue: "validation_failed")
        /// No API key was configured.
        public static let missingAPIKey = Code(rawValue: "missing_api_key")
        /// A local file to upload could not be read, or changed while it was being sent.
        public static let fileUnreadable = Code(rawValue: "file_unreadable")
        /// The client configuration is unusable (for example a malformed base URL).
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
    }

    /// The client operation that failed.
    public enum Operation: String, Sendable, Hashable, CustomStringConvertible {
        case createTask = "create_task"
        case retrieveTask = "retrieve_task"
        case listTasks = "list_tasks"
        case deleteTask = "delete_task"
        case cancelTask = "cancel_task"
        case waitForTask = "wait_for_task"
        case uploadAsset = "upload_asset"
        case retrieveAsset = "retrieve_asset"
        case listAssets = "list_assets"
        case deleteAsset = "delete_asset"
        case waitForAsset = "wait_for_asset"
        case createMultipartUpload = "create_multipart_upload"
        case requestPresignedURLs = "request_presigned_urls"
        case reportCompletedChunks = "report_completed_chunks"
        case retrieveMultipartUpload = "retrieve_multipart_upload"
        case listIncompleteUploads = "list_incomplete_uploads"
        case putChunk = "put_chunk"
        case createBatch = "create_batch"
        case retrieveBatch = "retrieve_batch"
        case listBatches = "list_batches"
        case batchResults = "batch_results"
        case cancelBatch = "cancel_batch"
        case deleteBatch = "delete_batch"
        case waitForBatch = "wait_for_batch"
        case configure = "configure"

        public var description: String { rawValue }
    }

    /// The stable identifier of the failure.
    public var code: Code
    /// The client operation that failed.
    public var operation: Operation
    /// The HTTP status of the last answer, when there was one.
    public var status: Int?
    /// The platform's error `code` (`parameter_invalid`, `too_many_requests`, …), from either body shape.
    public var platformCode: String?
    /// The platform's error `message`, or the raw body text when it was not a JSON error (key scrubbed).
    public var platformMessage: String?
    /// The request id the server reported (`x-request-id` / `request-id`), for support.
    public var requestID: String?
    /// How long the server asked to wait (`Retry-After` or rate-limit reset headers).
    public var retryAfter: Duration?
    /// How many HTTP attempts were made (0 when nothing was sent).
    public var attempts: Int
    /// For ``Code/validationFailed``: every issue found (errors and warnings).
    public var validationIssues: [ValidationIssue]
    /// A short human explanation for errors that have no platform message.
    public var detail: String?
    /// The error behind this one (a transport or decoding error), kept for diagnosis.
    public var underlying: (any Error)?

    /// Creates an error; the client fills in what it knows.
    public init(
        code: Code, operation: Operation, status: Int? = nil, platformCode: String? = nil,
        platformMessage: String? = nil, requestID: String? = nil, retryAfter: Duration? = nil,
        attempts: Int = 0, validationIssues: [ValidationIssue] = [], detail: String? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.operation = operation
        self.status = status
        self.platformCode = platformCode
        self.platformMessage = platformMessage
        self.requestID = requestID
        self.retryAfter = retryAfter
        self.attempts = attempts
        self.validationIssues = validationIssues
        self.detail = detail
        self.underlying = underlying
    }

    /// The code for an HTTP status that is not a success.
    public static func code(forStatus status: Int) -> Code {
        switch status {
        case 300..<400: .unexpectedRedirect
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 408: .requestTimeout
        case 409: .conflict
        case 422: .unprocessable
        case 429: .rateLimited
        case 500..<600: .serverError
        default: .unexpectedStatus
        }
    }

    /// `true` for failures worth trying again later: connection failures, 408, 429 and 5xx answers.
    public var isTransient: Bool {
        switch code {
        case .connectionFailed, .requestTimeout, .rateLimited, .serverError: true
        default: false
        }
    }

    public var description: String {
        var text = "\(operation) failed: \(code)"
        var facts: [String] = []
        if let status { facts.append("HTTP \(status)") }
        if let platformCode { facts.append("platform code \(platformCode)") }
        if !facts.isEmpty { text += " (\(facts.joined(separator: ", ")))" }
        if let platformMessage, !platformMessage.isEmpty { text += ": \(platformMessage)" }
        if let detail { text += (platformMessage?.isEmpty == false ? "; " : ": ") + detail }
        let errors = validationIssues.filter { $0.severity == .error }
        if !errors.isEmpty { text += ": " + errors.map(\.description).joined(separator: "; ") }
        if let requestID { text += " [request id \(requestID)]" }
        if let retryAfter { text += " [retry after \(retryAfter.seconds.formatted2) s]" }
        if attempts > 1 { text += " [after \(attempts) attempts]" }
        return text
    }
}

extension Double {
    var formatted2: String {
        let rounded = (self * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
