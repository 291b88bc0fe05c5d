/// A scripted failure of chunk `PUT`s on the storage route (see ``SandboxState/failChunk(_:times:with:uploadID:)``).
public enum StorageFault: Sendable, Hashable {
    /// Answered with this HTTP status (500, 503, 403, …) before the chunk is stored; the URL stays usable.
    case status(Int)
    /// The connection is closed without an answer before the chunk is stored; the URL stays usable.
    case drop
    /// The chunk is stored and its URL spent, then the connection is closed without an answer (the client
    /// never sees the `ETag`; retrying with the same URL gets 403).
    case dropAfterStoring
}

/// How many `PUT`s one chunk received on the storage route (test API).
public struct ChunkPutCounts: Sendable, Hashable {
    /// Every `PUT` that named this chunk, refused ones included.
    public var received = 0
    /// `PUT`s that stored the chunk's bytes.
    public var stored = 0
    /// `PUT`s refused (4xx), faulted (5xx) or dropped without storing.
    public var failed = 0

    /// Creates a value from its fields.
    public init(received: Int = 0, stored: Int = 0, failed: Int = 0) {
        self.received = received
        self.stored = stored
        self.failed = failed
    }
}
