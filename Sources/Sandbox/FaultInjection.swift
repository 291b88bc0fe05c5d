/// Seeded random faults: a ``rate`` fraction of requests (after authentication) gets one of ``kinds``.
public struct FaultInjection: Sendable, Hashable {
    /// What can go wrong with one request.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// 500, 502 or 503, either before the request takes effect or after (the answer is lost, not the effect).
        case serverError = "server-error"
        /// 429 with an empty body and `Retry-After: 1`.
        case rateLimited = "rate-limited"
        /// The request takes effect, then the connection is closed without an answer.
        case dropConnection = "drop"
        /// The answer comes after ``FaultInjection/delay`` on the sandbox clock.
        case delay
        /// Only on creates (`POST /analyze/tasks`, `POST /analyze/batches`): the task or batch is created,
        /// then the connection is closed before the answer. Other requests drawn this fault pass untouched.
        /// What makes exactly-once hard: the client cannot tell whether its create took effect.
        case dropAfterCreate = "drop-after-create"

        /// The faults drawn when none are named: every kind but the create-only one, as before it existed.
        public static let general: [Kind] = [.serverError, .rateLimited, .dropConnection, .delay]
    }

    /// Fraction of requests faulted, 0–1.
    public var rate: Double = 0
    /// The faults drawn from, uniformly.
    public var kinds: [Kind] = Kind.general
    /// Seed of the fault generator: the same seed and request order give the same faults.
    public var seed: UInt64 = 1
    /// Delay of ``Kind/delay`` faults.
    public var delay: Duration = .milliseconds(200)

    /// Creates a value from its fields.
    public init(rate: Double = 0, kinds: [Kind] = Kind.general, seed: UInt64 = 1, delay: Duration = .milliseconds(200)) {
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.delay = delay
    }
}
