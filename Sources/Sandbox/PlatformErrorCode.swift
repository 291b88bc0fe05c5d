/// The error codes the sandbox answers with, in the platform's spelling: a struct with static members, as
/// every error code of this package is, so that routes name them instead of repeating string literals.
struct PlatformErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    var rawValue: String
    init(rawValue: String) { self.rawValue = rawValue }
    var description: String { rawValue }

    /// A field has a value the platform does not accept (400).
    static let parameterInvalid = PlatformErrorCode(rawValue: "parameter_invalid")
    /// No task, batch, asset, upload or route of that id or path (404).
    static let resourceNotExist = PlatformErrorCode(rawValue: "resource_not_exist")
    /// A required field is missing (400).
    static let parameterNotProvided = PlatformErrorCode(rawValue: "parameter_not_provided")
    /// A field the endpoint does not know (400).
    static let parameterUnknown = PlatformErrorCode(rawValue: "parameter_unknown")
    /// An inline video or request body over the limit (400).
    static let videoFileTooLarge = PlatformErrorCode(rawValue: "video_file_too_large")
    /// An injected server error (500, 502, 503).
    static let internalError = PlatformErrorCode(rawValue: "internal_error")
    /// The multipart upload session is completed, failed or expired (400).
    static let uploadNotActive = PlatformErrorCode(rawValue: "upload_not_active")
    /// An `Idempotency-Key` sent again with a different body (409).
    static let idempotencyKeyReused = PlatformErrorCode(rawValue: "idempotency_key_reused")
    /// The asset is still processing (400).
    static let videoNotReady = PlatformErrorCode(rawValue: "video_not_ready")
    /// The multipart upload session is over 24 hours old (400).
    static let uploadExpired = PlatformErrorCode(rawValue: "upload_expired")
    /// Over the per-minute request limit (429).
    static let tooManyRequests = PlatformErrorCode(rawValue: "too_many_requests")
    /// The prompt is over its token limit (400).
    static let tokenLimitExceeded = PlatformErrorCode(rawValue: "token_limit_exceeded")
    /// A task that is still processing cannot be deleted (409).
    static let taskNotFinished = PlatformErrorCode(rawValue: "task_not_finished")
    /// A finished task cannot be canceled (409).
    static let taskAlreadyFinished = PlatformErrorCode(rawValue: "task_already_finished")
    /// A JSON Schema construct the platform does not honour (422).
    static let responseFormatInvalid = PlatformErrorCode(rawValue: "response_format_invalid")
    /// A request body over the sandbox's bound (413).
    static let requestTooLarge = PlatformErrorCode(rawValue: "request_too_large")
    /// A batch that is pending, processing or canceling cannot be deleted (409).
    static let batchNotFinished = PlatformErrorCode(rawValue: "batch_not_finished")
    /// The account has its most active batches (409; the code is the sandbox's, the platform publishes none).
    static let batchLimitExceeded = PlatformErrorCode(rawValue: "batch_limit_exceeded")
    /// A batch over 2,000 content hours (400).
    static let batchContentHoursExceeded = PlatformErrorCode(rawValue: "batch_content_hours_exceeded")
    /// A finished batch cannot be canceled (409).
    static let batchAlreadyFinished = PlatformErrorCode(rawValue: "batch_already_finished")
    /// An asset an unfinished task uses cannot be deleted without `force` (409).
    static let assetInUse = PlatformErrorCode(rawValue: "asset_in_use")
    /// The `x-api-key` header is missing or wrong (401).
    static let apiKeyInvalid = PlatformErrorCode(rawValue: "api_key_invalid")
}
