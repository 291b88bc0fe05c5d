/// Tokens consumed by a task.
public struct TokenUsage: Sendable, Hashable, Codable {
    /// Tokens generated.
    public var outputTokens: Int?
    /// Tokens read (prompt and video).
    public var inputTokens: Int?

    /// Creates a value from its fields.
    public init(outputTokens: Int? = nil, inputTokens: Int? = nil) {
        self.outputTokens = outputTokens
        self.inputTokens = inputTokens
    }

    enum CodingKeys: String, CodingKey {
        case outputTokens = "output_tokens"
        case inputTokens = "input_tokens"
    }
}
