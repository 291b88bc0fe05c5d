/// The answer of `POST /analyze/tasks` (202) and of `POST /analyze/tasks/{id}/cancel` (200):
/// `{"task_id": "...", "status": "queued"}`.
public struct TaskReference: Sendable, Hashable, Codable {
    /// The task id (`task_id`).
    public var id: String
    /// The status; see ``TaskStatus/isTerminal``.
    public var status: TaskStatus

    /// Creates a value from its fields.
    public init(id: String, status: TaskStatus) {
        self.id = id
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case id = "task_id"
        case status
    }
}
