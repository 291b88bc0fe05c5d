import AnalyzeAPI
import Foundation
import NIOConcurrencyHelpers
import Testing

/// A transport that holds each request until the test lets it go, counting how many are in flight.
final class GatedTransport: HTTPTransport {
    private struct State {
        var inFlight = 0
        var maximum = 0
        var total = 0
    }

    private let state = NIOLockedValueBox(State())

    var maximumInFlight: Int { state.withLockedValue { $0.maximum } }
    var total: Int { state.withLockedValue { $0.total } }

    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        state.withLockedValue {
            $0.inFlight += 1
            $0.total += 1
            $0.maximum = max($0.maximum, $0.inFlight)
        }
        defer { state.withLockedValue { $0.inFlight -= 1 } }
        // Let other tasks run while this request is "on the wire".
        for _ in 0..<20 { await Task.yield() }
        return response(200, #"{"task_id":"t","status":"ready"}"#)
    }
}

@Suite(.timeLimit(.minutes(3))) struct ConcurrencyTests {
    @Test func oneClientKeepsItsRequestsInFlightBounded() async throws {
        let transport = GatedTransport()
        let client = makeClient(transport) { $0.maximumConcurrentRequests = 3 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                group.addTask { _ = try await client.retrieveTask("t\(index)") }
            }
            try await group.waitForAll()
        }
        #expect(transport.total == 60)
        #expect(transport.maximumInFlight <= 3)
        #expect(transport.maximumInFlight >= 1)
    }

    @Test func cancellingAQueuedRequestDoesNotLeakAPermit() async throws {
        let transport = GatedTransport()
        let client = makeClient(transport) { $0.maximumConcurrentRequests = 1 }
        let queued = (0..<10).map { index in Task { try await client.retrieveTask("t\(index)") } }
        for task in queued { task.cancel() }
        for task in queued { _ = await task.result }
        // Every permit came back: a later burst still completes, one at a time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<5 { group.addTask { _ = try await client.retrieveTask("u\(index)") } }
            try await group.waitForAll()
        }
        #expect(transport.maximumInFlight == 1)
    }

    @Test func systemClockSleepEndsAtCancellation() async throws {
        let sleeper = Task { try await SystemClock().sleep(for: .seconds(600)) }
        sleeper.cancel()
        let result = await sleeper.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func systemClockIsMonotonic() async throws {
        let clock = SystemClock()
        let first = clock.now()
        try await clock.sleep(for: .milliseconds(5))
        #expect(clock.now() >= first + .milliseconds(5))
        #expect(abs(clock.currentDate().timeIntervalSinceNow) < 5)
    }
}
