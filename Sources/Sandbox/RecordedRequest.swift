/// One request as the sandbox saw it (test API).
public struct RecordedRequest: Sendable, Hashable {
    /// The HTTP method (`GET`, `POST`, `DELETE`).
    public var method: String
    /// Path after the version prefix, without the query; storage and control requests keep their whole path
    /// (`/storage/uploads/...`, `/_sandbox/...`).
    public var path: String
    /// Sandbox clock time of arrival.
    public var receivedAt: Duration
    /// The `x-api-key` value received, if any (the sandbox is a test tool: it records what arrived).
    public var apiKey: String?
    /// The `Idempotency-Key` received, if any.
    public var idempotencyKey: String?
    /// The status answered; 0 when the connection was dropped without an answer.
    public var status: Int
    /// The `Retry-After` seconds answered, if any.
    public var retryAfterSeconds: Int?
}
