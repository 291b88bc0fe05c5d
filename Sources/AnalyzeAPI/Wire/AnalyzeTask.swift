public import Foundation

/// An analysis task as `GET /analyze/tasks/{task_id}` and each item of a list return it.
///
/// Decoding is tolerant: unknown keys are ignored, optional keys may be missing or `null`,
/// unknown status strings become ``TaskStatus/unknown(_:)``. Encoding omits `nil` fields.
public struct AnalyzeTask: Sendable, Hashable, Codable, Identifiable {
    /// The task id (`task_id`).
    public var id: String
    /// Your identifier, when the create request had one.
    public var customID: String?
    /// The status; see ``TaskStatus/isTerminal``.
    public var status: TaskStatus
    /// When the task was created.
    public var createdAt: Date?
    /// Present only once the task is terminal.
    public var completedAt: Date?
    /// Present only when the task is `ready`.
    public var result: TaskResult?
    /// Why a task `failed` or was `canceled`; on `ready` with `finish_reason: "length"`, a truncation warning.
    public var error: TaskError?
    /// Delivery state of configured webhooks; `nil` when none are configured.
    public var webhooks: [WebhookDelivery]?

    /// Creates a value from its fields.
    public init(
        id: String, customID: String? = nil, status: TaskStatus, createdAt: Date? = nil,
        completedAt: Date? = nil, result: TaskResult? = nil, error: TaskError? = nil,
        webhooks: [WebhookDelivery]? = nil
    ) {
        self.id = id
        self.customID = customID
        self.status = status
        self.createdAt = createdAt
        self.completedAt = completedAt
        self.result = result
        self.error = error
        self.webhooks = webhooks
    }

    enum CodingKeys: String, CodingKey {
        case id = "task_id"
        case customID = "custom_id"
        case status
        case createdAt = "created_at"
        case completedAt = "completed_at"
        case result, error, webhooks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        customID = try container.decodeIfPresent(String.self, forKey: .customID)
        status = try container.decode(TaskStatus.self, forKey: .status)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        completedAt = try container.decodeIfPresent(Date.self, forKey: .completedAt)
        result = try container.decodeIfPresent(TaskResult.self, forKey: .result)
        error = try container.decodeIfPresent(TaskError.self, forKey: .error)
        webhooks = try container.decodeIfPresent([WebhookDelivery].self, forKey: .webhooks)
    }
}

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

/// Tokens consumed by a task.
public struct TokenUsage: Sendable, Hashable, Codable {
    /// Tokens generated.
    public var outputTokens: Int?
    /// Tokens read (prompt and video).
    public var inputTokens: Int?

    /// Creates a value from its fields.
    public init(outputTokens: Int? = nil, inputTokens: Int? = nil) {
        self.outputTokens = outputTokens
        self.inputTokens = inputTokens
    }

    enum CodingKeys: String, CodingKey {
        case outputTokens = "output_tokens"
        case inputTokens = "input_tokens"
    }
}

/// The `error` object of a task. Act on ``code``; never parse ``message``.
public struct TaskError: Sendable, Hashable, Codable {
    /// A readable explanation.
    public var message: String
    /// A stable code to act on, when the platform sends one.
    public var code: String?

    /// Creates a value from its fields.
    public init(message: String, code: String? = nil) {
        self.message = message
        self.code = code
    }

    enum CodingKeys: String, CodingKey { case message, code }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
        code = try container.decodeIfPresent(String.self, forKey: .code)
    }
}

/// The delivery state of one webhook of a task.
public struct WebhookDelivery: Sendable, Hashable, Codable {
    /// The absolute URL.
    public var url: String
    /// Whether a delivery succeeded.
    public var delivered: Bool
    /// Delivery attempts so far.
    public var attempts: Int
    /// Why the last attempt failed, if it did.
    public var lastError: String?

    /// Creates a value from its fields.
    public init(url: String, delivered: Bool, attempts: Int, lastError: String? = nil) {
        self.url = url
        self.delivered = delivered
        self.attempts = attempts
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case url, delivered, attempts
        case lastError = "last_error"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decodeIfPresent(String.self, forKey: .url) ?? ""
        delivered = try container.decodeIfPresent(Bool.self, forKey: .delivered) ?? false
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
    }
}
