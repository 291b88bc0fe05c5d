public import Foundation
import NIOConcurrencyHelpers

/// The time source of retries, waits and the sandbox's task lifecycle, injectable so that tests run instantly
/// and deterministically.
public protocol AnalyzeClock: Sendable {
    /// Monotonic time since an arbitrary origin.
    func now() -> Duration
    /// Suspends for `duration`; throws `CancellationError` promptly when the calling task is cancelled.
    func sleep(for duration: Duration) async throws
    /// The wall-clock date, for `Retry-After` HTTP dates, rate-limit reset epochs and task timestamps.
    func currentDate() -> Date
}

/// The real clock: `ContinuousClock` for elapsed time and sleeping, `Date()` for the wall clock.
public struct SystemClock: AnalyzeClock {
    private let origin: ContinuousClock.Instant

    /// A clock whose monotonic origin is now.
    public init() {
        origin = ContinuousClock.now
    }

    /// Monotonic time since the clock was created.
    public func now() -> Duration {
        origin.duration(to: .now)
    }

    /// Suspends for `duration`, or until cancelled.
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return try Task.checkCancellation() }
        try await Task.sleep(for: duration, clock: .continuous)
    }

    /// The wall-clock date.
    public func currentDate() -> Date {
        Date()
    }
}

/// A clock that only moves when told to, for tests (public so that users can test their own code with it).
///
/// - In ``Mode/manual`` mode, ``sleep(for:)`` suspends until ``advance(by:)`` moves time past its deadline
///   (or the sleeping task is cancelled).
/// - In ``Mode/autoAdvance`` mode, ``sleep(for:)`` moves time forward to the sleeper's deadline at once and
///   returns, so code that waits minutes runs in microseconds while still observing the time it asked for.
public final class ManualClock: AnalyzeClock {
    /// How ``ManualClock/sleep(for:)`` behaves.
    public enum Mode: Sendable {
        case manual
        case autoAdvance
    }

    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var nextID = 0
        var sleepers: [Int: Sleeper] = [:]
        var sleeps: [Duration] = []
    }

    private let state = NIOLockedValueBox(State())
    private let mode: Mode
    private let origin: Date

    /// A clock at time zero, whose wall clock starts at `origin`.
    public init(mode: Mode = .manual, origin: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.mode = mode
        self.origin = origin
    }

    /// Monotonic time since the clock was created.
    public func now() -> Duration {
        state.withLockedValue { $0.now }
    }

    /// The wall-clock date.
    public func currentDate() -> Date {
        origin.addingTimeInterval(now().seconds)
    }

    /// Every duration passed to ``sleep(for:)`` so far, in call order.
    public var sleeps: [Duration] {
        state.withLockedValue { $0.sleeps }
    }

    /// How many sleepers are suspended now (manual mode).
    public var sleeperCount: Int {
        state.withLockedValue { $0.sleepers.count }
    }

    /// Suspends for `duration`, or until cancelled.
    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let duration = max(duration, .zero)
        switch mode {
        case .autoAdvance:
            let woken = state.withLockedValue { state -> [CheckedContinuation<Void, any Error>] in
                state.sleeps.append(duration)
                state.now += duration
                return Self.takeDue(&state)
            }
            for continuation in woken { continuation.resume() }
            await Task.yield()
            try Task.checkCancellation()
        case .manual:
            let id = state.withLockedValue { state -> Int in
                state.sleeps.append(duration)
                state.nextID += 1
                return state.nextID
            }
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow = state.withLockedValue { state -> Bool in
                        if Task.isCancelled { return true }
                        if duration == .zero { return true }
                        state.sleepers[id] = Sleeper(deadline: state.now + duration, continuation: continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let continuation = state.withLockedValue { $0.sleepers.removeValue(forKey: id)?.continuation }
                continuation?.resume(throwing: CancellationError())
            }
            try Task.checkCancellation()
        }
    }

    /// Moves time forward by `duration` and resumes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, any Error>] in
            state.now += duration
            return Self.takeDue(&state)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Suspends (yielding) until at least `count` sleepers are suspended; for tests driving manual time.
    public func waitForSleepers(_ count: Int = 1) async {
        while sleeperCount < count {
            await Task.yield()
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    private static func takeDue(_ state: inout State) -> [CheckedContinuation<Void, any Error>] {
        let due = state.sleepers.filter { $0.value.deadline <= state.now }
        for id in due.keys { state.sleepers[id] = nil }
        return due.values.map(\.continuation)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A duration of `seconds` seconds (fractions kept to the nanosecond).
    public static func seconds(double seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
