/// The status of an analysis task. Unknown strings decode to ``unknown(_:)`` and are not terminal.
public enum TaskStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case queued, pending, processing, ready, failed, canceled
    /// A status this version does not know; kept verbatim.
    case unknown(String)

    /// Every status this version knows, in lifecycle order.
    public static let known: [TaskStatus] = [.queued, .pending, .processing, .ready, .failed, .canceled]

    /// The status for a wire string; unknown strings become ``unknown(_:)``.
    public init(rawValue: String) {
        self = Self.known.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
    }

    /// The wire string.
    public var rawValue: String {
        switch self {
        case .queued: "queued"
        case .pending: "pending"
        case .processing: "processing"
        case .ready: "ready"
        case .failed: "failed"
        case .canceled: "canceled"
        case .unknown(let value): value
        }
    }

    /// `ready`, `failed` and `canceled` are final; every other status (unknown ones included) is not.
    public var isTerminal: Bool {
        switch self {
        case .ready, .failed, .canceled: true
        default: false
        }
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
