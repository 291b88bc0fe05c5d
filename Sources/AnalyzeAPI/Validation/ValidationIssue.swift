import Foundation

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

    /// The JSON Pointer (RFC 6901) of the offending value in the request body: the field in pointer
    /// form, then ``pointer`` for schema issues (`requests[2].max_tokens` → `/requests/2/max_tokens`).
    public var jsonPointer: String {
        var result = ""
        for part in field.split(separator: ".", omittingEmptySubsequences: true) {
            var name = Substring(part)
            var indexes: [Substring] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                indexes.insert(name[name.index(after: open)..<name.index(before: name.endIndex)], at: 0)
                name = name[..<open]
            }
            result += "/" + name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            for index in indexes { result += "/" + index }
        }
        return result + (pointer ?? "")
    }

    /// `temperature_out_of_range (temperature): …`; the severity is left to the caller's prefix
    /// (`error:` or `warning:`), so that it is never said twice.
    public var description: String {
        let location = pointer.map { "\(field)\($0 == "" ? "" : " at \($0)")" } ?? field
        return "\(code) (\(location)): \(message)"
    }
}
