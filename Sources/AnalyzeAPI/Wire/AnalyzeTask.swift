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
