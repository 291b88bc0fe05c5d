/// One problem found in a request before sending it.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// Errors block the request; warnings do not.
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    /// Whether the issue blocks the request.
    public var severity: Severity
    /// The request field, in wire spelling (`prompt`, `temperature`, `response_format.json_schema`, …).
    public var field: String
    /// A stable code (`prompt_missing`, `prompt_too_long`, `schema_keyword_unsupported`, …).
    public var code: String
    /// A readable explanation.
    public var message: String
    /// For schema issues: the JSON Pointer of the offending keyword inside the schema (`/properties/name/maxLength`).
    public var pointer: String?

    /// Creates a value from its fields.
    public init(severity: Severity, field: String, code: String, message: String, pointer: String? = nil) {
        self.severity = severity
        self.field = field
        self.code = code
        self.message = message
        self.pointer = pointer
    }

    /// `temperature_out_of_range (temperature): …`; the severity is left to the caller's prefix
    /// (`error:` or `warning:`), so that it is never said twice.
    public var description: String {
        let location = pointer.map { "\(field)\($0 == "" ? "" : " at \($0)")" } ?? field
        return "\(code) (\(location)): \(message)"
    }
}
