/// The `error` object of a task. Act on ``code``; never parse ``message``.
public struct TaskError: Sendable, Hashable, Codable {
    /// A readable explanation.
    public var message: String
    /// A stable code to act on, when the platform sends one.
    public var code: String?

    /// Creates a value from its fields.
    public init(message: String, code: String? = nil) {
        self.message = message
        self.code = code
    }

    enum CodingKeys: String, CodingKey { case message, code }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        code = try container.decodeIfPresent(String.self, forKey: .code)
    }
}
