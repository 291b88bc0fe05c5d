import AnalyzeAPI
import Foundation
import NIOConcurrencyHelpers
import Testing

@Suite(.timeLimit(.minutes(3))) struct WaitTests {
    static func task(_ status: String, extra: String = "") -> TransportResponse {
        response(200, #"{"task_id":"t1","status":"\#(status)"\#(extra)}"#)
    }

    static let noJitter = WaitOptions(minimumInterval: .seconds(2), maximumInterval: .seconds(10), multiplier: 2, jitter: 0)

    @Test func pollsWithGrowingCappedIntervalUntilReady() async throws {
        let statuses = ["queued", "pending", "processing", "processing", "processing", "processing", "ready"]
        let transport = RecordingTransport { _, index in
            Self.task(statuses[index], extra: statuses[index] == "ready" ? #","result":{"data":"done","finish_reason":"stop"}"# : "")
        }
        let clock = ManualClock(mode: .autoAdvance)
        let seen = NIOLockedValueBox<[TaskStatus]>([])
        var options = Self.noJitter
        options.onUpdate = { task in seen.withLockedValue { $0.append(task.status) } }
        let outcome = try await makeClient(transport, clock: clock).waitForTask("t1", options: options)
        guard case .ready(let task) = outcome else { Issue.record("expected ready, got \(outcome)"); return }
        #expect(task.result?.data == "done")
        #expect(transport.requests.count == 7)
        #expect(clock.sleeps == [.seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(10), .seconds(10)])
        #expect(seen.withLockedValue { $0 }.map(\.rawValue) == statuses)
    }

    @Test(arguments: ["failed", "canceled"])
    func failedAndCanceledAreDistinctOutcomes(status: String) async throws {
        let transport = RecordingTransport { _, _ in Self.task(status, extra: #","error":{"message":"nope","code":"c"}"#) }
        let outcome = try await makeClient(transport).waitForTask("t1", options: Self.noJitter)
        #expect(outcome.name == status)
        #expect(outcome.task?.error?.code == "c")
    }

    @Test func unknownStatusIsNotTerminal() async throws {
        let statuses = ["archiving", "ready"]
        let transport = RecordingTransport { _, index in Self.task(statuses[index]) }
        let outcome = try await makeClient(transport).waitForTask("t1", options: Self.noJitter)
        #expect(outcome.name == "ready")
        #expect(transport.requests.count == 2)
    }

    @Test func deadlineEndsTheWaitWithoutOversleeping() async throws {
        let transport = RecordingTransport { _, _ in Self.task("processing") }
        let clock = ManualClock(mode: .autoAdvance)
        var options = Self.noJitter
        options.timeout = .seconds(25)
        let outcome = try await makeClient(transport, clock: clock).waitForTask("t1", options: options)
        guard case .timedOut(let lastSeen, let lastError) = outcome else { Issue.record("expected timeout"); return }
        #expect(lastSeen?.status == .processing)
        #expect(lastError == nil)
        // 2 + 4 + 8 + 10 = 24, then only the 1 s left, then a last poll at the deadline.
        #expect(clock.sleeps == [.seconds(2), .seconds(4), .seconds(8), .seconds(10), .seconds(1)])
        #expect(clock.now() == .seconds(25))
        #expect(transport.requests.count == 6)
    }

    @Test func transientPollFailuresAreRetriedNotFatal() async throws {
        let transport = RecordingTransport { _, index in
            switch index {
            case 0: return Self.task("processing")
            case 1, 2: return response(503)
            case 3: throw TransportError("reset")
            default: return Self.task("ready")
            }
        }
        let outcome = try await makeClient(transport) { $0.retryPolicy.maximumAttempts = 2 }.waitForTask("t1", options: Self.noJitter)
        #expect(outcome.name == "ready")
        #expect(transport.requests.count == 5)
    }

    @Test func persistentFailuresEventuallyThrow() async {
        let transport = RecordingTransport { _, _ in response(503, #"{"code":"unavailable","message":"down"}"#) }
        var options = Self.noJitter
        options.maximumConsecutiveFailures = 3
        let error = await expectAPIError {
            _ = try await makeClient(transport) { $0.retryPolicy.maximumAttempts = 2 }.waitForTask("t1", options: options)
        }
        #expect(error?.code == .serverError)
        #expect(error?.operation == .waitForTask)
        #expect(transport.requests.count == 6)
    }

    @Test func nonTransientErrorsThrowAtOnce() async {
        let transport = RecordingTransport { _, _ in response(404, #"{"code":"resource_not_exist","message":"no task"}"#) }
        let error = await expectAPIError { _ = try await makeClient(transport).waitForTask("t1", options: Self.noJitter) }
        #expect(error?.code == .notFound)
        #expect(transport.requests.count == 1)
    }

    @Test func cancellationStopsASleepingWaitPromptly() async throws {
        let transport = RecordingTransport { _, _ in Self.task("processing") }
        let clock = ManualClock(mode: .manual)
        let client = makeClient(transport, clock: clock)
        let wait = Task { try await client.waitForTask("t1", options: Self.noJitter) }
        await clock.waitForSleepers(1)
        wait.cancel()
        // Time never moves: only cancellation can end the sleep.
        let result = await wait.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(transport.requests.count == 1)
        #expect(clock.now() == .zero)
    }

    @Test func manualClockWakesSleepersOnlyWhenTimeComes() async throws {
        let transport = RecordingTransport { _, index in Self.task(index < 2 ? "processing" : "ready") }
        let clock = ManualClock(mode: .manual)
        let client = makeClient(transport, clock: clock)
        let wait = Task { try await client.waitForTask("t1", options: Self.noJitter) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(clock.sleeperCount == 1)
        #expect(transport.requests.count == 1)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)  // the second sleep (4 s) has begun
        #expect(transport.requests.count == 2)
        clock.advance(by: .seconds(4))
        let outcome = try await wait.value
        #expect(outcome.name == "ready")
        #expect(transport.requests.count == 3)
    }

    @Test func jitterSpreadsIntervalsWithinBounds() async throws {
        let options = WaitOptions(minimumInterval: .seconds(2), maximumInterval: .seconds(30), multiplier: 1.5, jitter: 0.2)
        #expect(options.interval(afterPoll: 1) == .seconds(2))
        #expect(options.interval(afterPoll: 2) == .seconds(3))
        #expect(options.interval(afterPoll: 50) == .seconds(30))
        let transport = RecordingTransport { _, index in Self.task(index < 20 ? "processing" : "ready") }
        let clock = ManualClock(mode: .autoAdvance)
        _ = try await makeClient(transport, clock: clock).waitForTask("t1", options: options)
        for (index, slept) in clock.sleeps.enumerated() {
            let base = options.interval(afterPoll: index + 1).seconds
            #expect(slept.seconds >= base * 0.8 - 1e-9 && slept.seconds <= base * 1.2 + 1e-9)
        }
        #expect(Set(clock.sleeps).count > 3)
    }
}
