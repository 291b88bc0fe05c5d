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
    }

    /// Fraction of requests faulted, 0–1.
    public var rate: Double = 0
    /// The faults drawn from, uniformly.
    public var kinds: [Kind] = Kind.allCases
    /// Seed of the fault generator: the same seed and request order give the same faults.
    public var seed: UInt64 = 1
    /// Delay of ``Kind/delay`` faults.
    public var delay: Duration = .milliseconds(200)

    /// Creates a value from its fields.
    public init(rate: Double = 0, kinds: [Kind] = Kind.allCases, seed: UInt64 = 1, delay: Duration = .milliseconds(200)) {
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.delay = delay
    }
}
