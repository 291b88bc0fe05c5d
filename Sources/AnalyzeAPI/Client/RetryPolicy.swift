/// When and how long to wait before repeating a failed request.
///
/// Retried: HTTP 408, 429, 500, 502, 503, 504 and connection failures; never another 4xx.
/// Between attempts the client waits what the server asked (``RetryHints``), else a jittered exponential
/// backoff: attempt *n* waits `initialBackoff · multiplier^(n-1)`, capped at `maximumBackoff`, then reduced by
/// up to `jitter` of itself at random. Retrying stops after `maximumAttempts`, or when the next wait would end
/// past `totalDeadline` from the first attempt.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 disables retries).
    public var maximumAttempts: Int = 6
    /// The wait before the first retry.
    public var initialBackoff: Duration = .milliseconds(500)
    /// The longest backoff between two attempts.
    public var maximumBackoff: Duration = .seconds(20)
    /// How much each backoff grows over the previous one.
    public var multiplier: Double = 2
    /// Fraction (0–1) of each backoff that is randomised away ("equal jitter" at 0.5, none at 0).
    public var jitter: Double = 0.5
    /// The most time one operation may spend, retries and waits included.
    public var totalDeadline: Duration = .seconds(120)
    /// A server asking for a longer wait than this is not retried: the error is thrown with its `retryAfter`.
    public var maximumServerDelay: Duration = .seconds(120)
    /// HTTP statuses that are retried.
    public var retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// The default policy.
    public init() {}

    /// No retries at all.
    public static let none: RetryPolicy = {
        var policy = RetryPolicy()
        policy.maximumAttempts = 1
        return policy
    }()

    /// The backoff before retry number `retry` (1 = the wait after the first failed attempt), given a
    /// uniformly random `unit` in 0..<1.
    public func backoff(retry: Int, unit: Double) -> Duration {
        let exponent = Double(max(0, retry - 1))
        let base = min(initialBackoff.seconds * pow(multiplier, exponent), maximumBackoff.seconds)
        let jittered = base * (1 - min(max(jitter, 0), 1) * unit)
        return .seconds(double: max(0, jittered))
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var remaining = Int(exponent)
    while remaining > 0 {
        result *= base
        remaining -= 1
        if result > 1e12 { break }
    }
    return result
}
