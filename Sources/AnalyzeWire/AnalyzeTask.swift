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
    /// The batch the task belongs to, for a task created by `POST /analyze/batches`.
    public var batchID: String?
    /// What the task analyses (`{"type", "url"|"asset_id", "system_metadata": {"duration"}}`), as sent.
    public var videoSource: TaskVideoSource?
    /// The settings the task was created with (prompt, temperature, max_tokens, analysis_mode, window,
    /// response format), kept as JSON: the platform adds to it faster than a client models it.
    public var requestParams: JSONValue?

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
        case batchID = "batch_id"
        case videoSource = "video_source"
        case requestParams = "request_params"
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
        batchID = try? container.decodeIfPresent(String.self, forKey: .batchID)
        videoSource = try? container.decodeIfPresent(TaskVideoSource.self, forKey: .videoSource)
        requestParams = try? container.decodeIfPresent(JSONValue.self, forKey: .requestParams)
        if requestParams == .null { requestParams = nil }
    }
}

/// A task's `video_source`: what it analyses.
public struct TaskVideoSource: Sendable, Hashable, Codable {
    /// `url`, `base64_string`, `asset_id` or `video_id` (other strings kept verbatim).
    public var type: String
    /// The URL, for a `url` source.
    public var url: String?
    /// The asset, for an `asset_id` source.
    public var assetID: String?
    /// The video's duration in seconds, when the platform reports it (`system_metadata.duration`).
    public var durationSeconds: Double?

    /// Creates a value from its fields.
    public init(type: String, url: String? = nil, assetID: String? = nil, durationSeconds: Double? = nil) {
        self.type = type
        self.url = url
        self.assetID = assetID
        self.durationSeconds = durationSeconds
    }

    enum CodingKeys: String, CodingKey {
        case type, url
        case assetID = "asset_id"
        case systemMetadata = "system_metadata"
    }

    enum MetadataKeys: String, CodingKey {
        case duration
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type) ?? "unknown"
        url = try? container.decodeIfPresent(String.self, forKey: .url)
        assetID = try? container.decodeIfPresent(String.self, forKey: .assetID)
        let metadata = try? container.nestedContainer(keyedBy: MetadataKeys.self, forKey: .systemMetadata)
        durationSeconds = try? metadata?.decodeIfPresent(Double.self, forKey: .duration)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(url, forKey: .url)
        try container.encodeIfPresent(assetID, forKey: .assetID)
        if let durationSeconds {
            var metadata = container.nestedContainer(keyedBy: MetadataKeys.self, forKey: .systemMetadata)
            try metadata.encode(durationSeconds, forKey: .duration)
        }
    }
}
