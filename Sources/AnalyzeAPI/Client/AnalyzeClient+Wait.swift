import Logging

/// How ``AnalyzeClient/waitForTask(_:options:)`` polls.
///
/// The first poll is immediate; then the wait between polls starts at ``minimumInterval``, grows by
/// ``multiplier`` up to ``maximumInterval``, and is jittered by ±``jitter`` so that many waiters spread out.
/// No sleep runs past the deadline; one last poll is made at the deadline.
public struct WaitOptions: Sendable {
    /// The pause after the first poll, and the shortest pause.
    public var minimumInterval: Duration = .seconds(2)
    /// The longest pause between polls.
    public var maximumInterval: Duration = .seconds(30)
    /// How much each pause grows over the previous one.
    public var multiplier: Double = 1.5
    /// Fraction (0–1) by which each interval is randomly lengthened or shortened.
    public var jitter: Double = 0.2
    /// The overall deadline of the wait, from its start.
    public var timeout: Duration = .seconds(3600)
    /// Polls that may fail in a row (each after the retry policy's own retries) before the wait throws.
    public var maximumConsecutiveFailures: Int = 5
    /// Called with each task state the wait observes.
    public var onUpdate: (@Sendable (AnalyzeTask) -> Void)?

    /// Creates a value from its fields.
    public init(
        minimumInterval: Duration = .seconds(2), maximumInterval: Duration = .seconds(30), multiplier: Double = 1.5,
        jitter: Double = 0.2, timeout: Duration = .seconds(3600), maximumConsecutiveFailures: Int = 5,
        onUpdate: (@Sendable (AnalyzeTask) -> Void)? = nil
    ) {
        self.minimumInterval = minimumInterval
        self.maximumInterval = maximumInterval
        self.multiplier = multiplier
        self.jitter = jitter
        self.timeout = timeout
        self.maximumConsecutiveFailures = maximumConsecutiveFailures
        self.onUpdate = onUpdate
    }

    /// The pause after poll number `poll` (1-based), before jitter.
    public func interval(afterPoll poll: Int) -> Duration {
        var seconds = minimumInterval.seconds
        for _ in 1..<max(1, poll) {
            seconds *= multiplier
            if seconds >= maximumInterval.seconds { break }
        }
        return .seconds(double: min(max(seconds, minimumInterval.seconds), maximumInterval.seconds))
    }
}

/// How a wait ended.
public enum WaitOutcome: Sendable {
    /// The task is `ready`; its result is in the task.
    case ready(AnalyzeTask)
    /// The task `failed`; see its `error`.
    case failed(AnalyzeTask)
    /// The task was `canceled`.
    case canceled(AnalyzeTask)
    /// The deadline passed first. `lastSeen` is the latest state observed, `lastError` the latest poll failure.
    case timedOut(lastSeen: AnalyzeTask?, lastError: APIError?)

    /// The task as last seen.
    public var task: AnalyzeTask? {
        switch self {
        case .ready(let task), .failed(let task), .canceled(let task): task
        case .timedOut(let task, _): task
        }
    }

    /// `ready`, `failed`, `canceled` or `timed_out`.
    public var name: String {
        switch self {
        case .ready: "ready"
        case .failed: "failed"
        case .canceled: "canceled"
        case .timedOut: "timed_out"
        }
    }
}

extension AnalyzeClient {
    /// Polls a task until it is terminal or `options.timeout` passes.
    ///
    /// Transient failures while polling (connection failures, 408, 429, 5xx — after the retry policy's own
    /// retries) are logged and polling goes on, up to `options.maximumConsecutiveFailures` in a row; other errors
    /// (401, 404, …) are thrown at once. Cancelling the calling task stops the wait promptly with
    /// `CancellationError`.
    ///
    /// - Returns: ``WaitOutcome/ready(_:)``, ``WaitOutcome/failed(_:)``, ``WaitOutcome/canceled(_:)`` or
    ///   ``WaitOutcome/timedOut(lastSeen:lastError:)``. A status this client does not know counts as unfinished.
    public func waitForTask(_ id: String, options: WaitOptions = WaitOptions()) async throws -> WaitOutcome {
        let polled = try await poll(
            what: "task \(id)", options: options,
            fetch: { deadline in try await self.retrieveTask(id, operation: .waitForTask, deadline: deadline) },
            observe: { task in options.onUpdate?(task) },
            isTerminal: { $0.status.isTerminal })
        switch polled {
        case .finished(let task):
            switch task.status {
            case .ready: return .ready(task)
            case .failed: return .failed(task)
            default: return .canceled(task)
            }
        case .timedOut(let lastSeen, let lastError):
            return .timedOut(lastSeen: lastSeen, lastError: lastError)
        }
    }

    /// How ``poll(what:options:fetch:observe:isTerminal:)`` ended.
    enum PollOutcome<Value: Sendable>: Sendable {
        case finished(Value)
        case timedOut(lastSeen: Value?, lastError: APIError?)
    }

    /// The polling machinery shared by task and asset waits: an immediate first poll, growing jittered pauses,
    /// transient failures tolerated up to a limit, no sleep past the deadline and a last poll at it.
    func poll<Value: Sendable>(
        what: String, options: WaitOptions,
        fetch: (_ deadline: Duration) async throws -> Value,
        observe: (Value) -> Void,
        isTerminal: (Value) -> Bool
    ) async throws -> PollOutcome<Value> {
        let clock = configuration.clock
        let deadline = clock.now() + options.timeout
        var generator = SystemRandomNumberGenerator()
        var lastSeen: Value?
        var lastError: APIError?
        var consecutiveFailures = 0
        var poll = 0

        while true {
            poll += 1
            try Task.checkCancellation()
            do {
                let value = try await fetch(deadline)
                consecutiveFailures = 0
                lastSeen = value
                observe(value)
                if isTerminal(value) { return .finished(value) }
            } catch let error as APIError where error.isTransient {
                consecutiveFailures += 1
                lastError = error
                configuration.logger.warning("waiting for \(what): poll failed (\(consecutiveFailures) in a row): \(error)")
                if consecutiveFailures >= options.maximumConsecutiveFailures { throw error }
            }

            let remaining = deadline - clock.now()
            if remaining <= .zero { return .timedOut(lastSeen: lastSeen, lastError: lastError) }
            let base = options.interval(afterPoll: poll).seconds
            let spread = min(max(options.jitter, 0), 1)
            var pause = Duration.seconds(double: base * (1 - spread + 2 * spread * Double.random(in: 0..<1, using: &generator)))
            if let retryAfter = lastError?.retryAfter, consecutiveFailures > 0 { pause = max(pause, retryAfter) }
            try await clock.sleep(for: min(pause, remaining))
        }
    }
}
