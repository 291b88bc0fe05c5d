public import Foundation

/// The output of a `ready` task.
public struct TaskResult: Sendable, Hashable, Codable {
    /// The platform's id of this generation.
    public var generationID: String?
    /// The generated text. With a `json_schema` response format it holds JSON text: see ``decodeJSON(as:decoder:)``.
    public var data: String
    /// `stop`, or `length` when the output was cut at `max_tokens`; `nil` while unfinished.
    public var finishReason: FinishReason?
    /// Tokens consumed.
    public var usage: TokenUsage?

    /// Creates a value from its fields.
    public init(generationID: String? = nil, data: String, finishReason: FinishReason? = nil, usage: TokenUsage? = nil) {
        self.generationID = generationID
        self.data = data
        self.finishReason = finishReason
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case generationID = "generation_id"
        case data
        case finishReason = "finish_reason"
        case usage
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        generationID = try container.decodeIfPresent(String.self, forKey: .generationID)
        if let text = try? container.decode(String.self, forKey: .data) {
            data = text
        } else if let value = try container.decodeIfPresent(JSONValue.self, forKey: .data) {
            // The platform documents `data` as always a string; keep structured data usable if that changes.
            data = String(decoding: try WireCoding.encoder().encode(value), as: UTF8.self)
        } else {
            data = ""
        }
        finishReason = try container.decodeIfPresent(FinishReason.self, forKey: .finishReason)
        usage = try container.decodeIfPresent(TokenUsage.self, forKey: .usage)
    }

    /// `true` when generation stopped at `max_tokens`: `data` may be cut short, and invalid JSON.
    public var isTruncated: Bool { finishReason == .length }

    /// Parses ``data`` as JSON into `T` (use ``JSONValue`` for any document).
    ///
    /// - Throws: ``ResultDataError`` with code `result_truncated` when the text is not valid JSON and
    ///   `finish_reason` is `length`, `result_not_json` when it is not JSON otherwise, and
    ///   `result_type_mismatch` when it is JSON that does not decode as `T`.
    public func decodeJSON<T: Decodable>(as type: T.Type = T.self, decoder: JSONDecoder = WireCoding.decoder()) throws -> T {
        let bytes = Data(data.utf8)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: bytes)
        } catch {
            if isTruncated {
                throw ResultDataError(
                    code: .resultTruncated,
                    message: "The result was truncated at max_tokens (finish_reason \"length\") and is not complete JSON; raise max_tokens or simplify the schema.",
                    underlying: error)
            }
            throw ResultDataError(code: .resultNotJSON, message: "The result data is not valid JSON.", underlying: error)
        }
        if T.self == JSONValue.self, let value = value as? T { return value }
        do {
            return try decoder.decode(T.self, from: bytes)
        } catch {
            throw ResultDataError(
                code: .resultTypeMismatch,
                message: "The result is JSON but does not decode as \(T.self).", underlying: error)
        }
    }
}
