/// `max_tokens`: a number, or the string `"unlimited"` that newer models accept.
///
/// The allowed range is not part of the wire type: see AnalyzeAPI's `RequestPolicy`.
public enum MaxTokens: Sendable, Hashable, Codable, ExpressibleByIntegerLiteral {
    case count(Int)
    case unlimited

    /// A numeric limit, so that `maxTokens: 2048` reads naturally.
    public init(integerLiteral value: Int) {
        self = .count(value)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self) {
            self = .count(count)
        } else if let text = try? container.decode(String.self), text == "unlimited" {
            self = .unlimited
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "max_tokens must be an integer or \"unlimited\".")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .count(let count): try container.encode(count)
        case .unlimited: try container.encode("unlimited")
        }
    }
}
