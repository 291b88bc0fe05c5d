/// A response the test API queues for upcoming requests (see ``SandboxState/enqueue(_:)``).
public struct ScriptedResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// Platform error code in the body; `nil` sends an empty body.
    public var code: String?
    /// A readable explanation.
    public var message: String
    /// The error body shape.
    public var shape: ErrorShape
    /// Extra response headers (`Retry-After`, `x-request-id`, …).
    public var headers: [String: String]
    /// Applied only to requests whose path (after the version prefix) starts with this.
    public var pathPrefix: String

    /// Creates a value from its fields.
    public init(
        status: Int, code: String? = nil, message: String = "", shape: ErrorShape = .flat,
        headers: [String: String] = [:], pathPrefix: String = "/analyze/tasks"
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.shape = shape
        self.headers = headers
        self.pathPrefix = pathPrefix
    }
}
