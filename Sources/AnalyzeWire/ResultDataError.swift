/// Why ``TaskResult/decodeJSON(as:decoder:)`` could not return a value.
public struct ResultDataError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the failure.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The wire string.
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// Cut at `max_tokens` and not parseable.
        public static let resultTruncated = Code(rawValue: "result_truncated")
        /// Not JSON, though generation finished normally.
        public static let resultNotJSON = Code(rawValue: "result_not_json")
        /// JSON of another shape than the requested type.
        public static let resultTypeMismatch = Code(rawValue: "result_type_mismatch")
    }

    /// The stable identifier of the failure.
    public var code: Code
    /// A readable explanation.
    public var message: String
    /// The decoding error behind it.
    public var underlying: (any Error)?

    public var description: String { "\(code): \(message)" }
}
