/// `response_format`: asks for a JSON document conforming to a JSON Schema (2020-12).
///
/// The raw schema sits directly under `json_schema`, with no name or strict wrapper:
/// `{"type": "json_schema", "json_schema": {"type": "object", ...}}`. Lint it with ``SchemaLint`` before sending.
public struct ResponseFormat: Sendable, Hashable, Codable {
    /// The format kind; `json_schema` is the only one the platform defines.
    public var type: String
    /// The raw JSON Schema.
    public var jsonSchema: JSONValue

    /// A `json_schema` response format.
    public init(jsonSchema: JSONValue) {
        self.type = "json_schema"
        self.jsonSchema = jsonSchema
    }

    private enum CodingKeys: String, CodingKey {
        case type
        case jsonSchema = "json_schema"
    }
}
