public import Foundation

/// The platform's error body, read from either shape it uses:
/// nested `{"error": {"code", "message", "details"}}` (tried first) or flat `{"code", "message"}`.
public struct PlatformErrorBody: Sendable, Hashable, Codable {
    /// A stable code to act on, when the platform sends one.
    public var code: String?
    /// The platform's message; never parse it.
    public var message: String?
    /// Extra structured context of the nested shape.
    public var details: JSONValue?

    /// Creates a value from its fields.
    public init(code: String?, message: String?, details: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    enum CodingKeys: String, CodingKey { case code, message, details }

    /// Reads `body` as the nested shape, then the flat one; `nil` when neither yields a code or message.
    public static func parse(_ body: Data) -> PlatformErrorBody? {
        guard !body.isEmpty, let value = try? JSONDecoder().decode(JSONValue.self, from: body),
              let object = value.objectValue
        else { return nil }
        func read(_ object: [String: JSONValue]) -> PlatformErrorBody? {
            let code = object["code"]?.stringValue
            let message = object["message"]?.stringValue
            guard code != nil || message != nil else { return nil }
            return PlatformErrorBody(code: code, message: message, details: object["details"])
        }
        if let nested = object["error"]?.objectValue, let body = read(nested) { return body }
        if let message = object["error"]?.stringValue {
            return PlatformErrorBody(code: object["code"]?.stringValue, message: message)
        }
        return read(object)
    }
}
