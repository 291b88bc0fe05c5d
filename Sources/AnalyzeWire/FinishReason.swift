/// Why generation stopped. Unknown strings are kept.
public enum FinishReason: Sendable, Hashable, Codable {
    case stop
    case length
    case other(String)

    /// The reason for a wire string; unknown strings are kept in ``other(_:)``.
    public init(rawValue: String) {
        switch rawValue {
        case "stop": self = .stop
        case "length": self = .length
        default: self = .other(rawValue)
        }
    }

    /// The wire string.
    public var rawValue: String {
        switch self {
        case .stop: "stop"
        case .length: "length"
        case .other(let value): value
        }
    }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
