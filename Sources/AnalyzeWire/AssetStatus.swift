/// The processing status of an uploaded asset. Unknown strings decode to ``unknown(_:)``.
public enum AssetStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case processing, ready, failed
    /// A status this version does not know; kept verbatim and not terminal.
    case unknown(String)

    /// Every status this version knows.
    public static let known: [AssetStatus] = [.processing, .ready, .failed]

    /// The status for a wire string; unknown strings become ``unknown(_:)``.
    public init(rawValue: String) {
        self = Self.known.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
    }

    /// The wire string.
    public var rawValue: String {
        switch self {
        case .processing: "processing"
        case .ready: "ready"
        case .failed: "failed"
        case .unknown(let value): value
        }
    }

    /// `ready` and `failed` are final.
    public var isTerminal: Bool { self == .ready || self == .failed }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
