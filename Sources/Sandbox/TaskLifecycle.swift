/// Time a task spends queued, pending and processing before it finishes.
public struct TaskLifecycle: Sendable, Hashable {
    /// Time in `queued`.
    public var queued: Duration = .milliseconds(100)
    /// Time in `pending`.
    public var pending: Duration = .milliseconds(100)
    /// Time in `processing`.
    public var processing: Duration = .milliseconds(300)

    /// Creates a value from its fields.
    public init(queued: Duration = .milliseconds(100), pending: Duration = .milliseconds(100), processing: Duration = .milliseconds(300)) {
        self.queued = queued
        self.pending = pending
        self.processing = processing
    }

    /// Queued + pending + processing.
    public var total: Duration { queued + pending + processing }
}
