import AnalyzeAPI
import Foundation
import Sandbox
import Testing

/// The client against a sandbox that misbehaves on purpose, over loopback HTTP.
@Suite(.timeLimit(.minutes(3))) struct FaultTests {
    @Test func hundredCreateAndWaitCyclesSurviveTwentyPercentFaultsWithoutDuplicates() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        try await withSandboxClient(sandbox: {
            $0.clock = clock
            $0.faults = FaultInjection(rate: 0.2, kinds: [.serverError, .rateLimited, .dropConnection, .delay], seed: 42)
        }, client: {
            $0.clock = clock
            $0.retryPolicy.maximumAttempts = 12
            $0.retryPolicy.totalDeadline = .seconds(3600)
        }) { sandbox, client in
            let outcomes = try await withThrowingTaskGroup(of: (Int, WaitOutcome).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        var request = sampleRequest
                        request.prompt = "cycle \(index)"
                        request.customID = "cycle-\(index)"
                        let task = try await client.createTask(request)
                        return (index, try await client.waitForTask(task.id, options: WaitOptions(maximumConsecutiveFailures: 20)))
                    }
                }
                var outcomes: [Int: WaitOutcome] = [:]
                for try await (index, outcome) in group { outcomes[index] = outcome }
                return outcomes
            }
            #expect(outcomes.count == 100)
            for (index, outcome) in outcomes {
                guard case .ready(let task) = outcome else { Issue.record("cycle \(index): \(outcome.name)"); continue }
                #expect(task.customID == "cycle-\(index)")
                #expect(task.result?.data.contains("\"cycle \(index)\"") == true)
            }
            // No duplicates: exactly one task per logical create.
            #expect(sandbox.state.createdTaskCount == 100)
            let customIDs = sandbox.state.customIDs.compactMap { $0 }
            #expect(customIDs.count == 100)
            #expect(Set(customIDs).count == 100)
            // The faults really happened, including losses after the task was created.
            let log = sandbox.state.requests
            let creates = log.filter { $0.method == "POST" }
            #expect(creates.count > 100)
            #expect(log.contains { $0.status == 0 })
            #expect(log.contains { $0.status == 429 })
            #expect(log.contains { [500, 502, 503].contains($0.status) })
            let replayedKeys = Dictionary(grouping: creates, by: { $0.idempotencyKey ?? "" }).filter { $0.value.count > 1 }
            #expect(!replayedKeys.isEmpty)
            #expect(Set(creates.compactMap(\.idempotencyKey)).count == 100)
        }
    }

    @Test func rateLimitedBurstWaitsOutRetryAfter() async throws {
        let clock = ManualClock(mode: .autoAdvance)
        try await withSandboxClient(sandbox: {
            $0.clock = clock
            $0.requestsPerMinute = 5
        }, client: {
            $0.clock = clock
            $0.retryPolicy.maximumAttempts = 20
            $0.retryPolicy.totalDeadline = .seconds(3600)
        }) { sandbox, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        var request = sampleRequest
                        request.prompt = "burst \(index)"
                        _ = try await client.createTask(request)
                    }
                }
                try await group.waitForAll()
            }
            #expect(sandbox.state.createdTaskCount == 12)
            let log = sandbox.state.requests
            let limited = log.filter { $0.status == 429 }
            #expect(!limited.isEmpty)
            // Every retry after a 429 came no sooner than the Retry-After it was given.
            for (_, attempts) in Dictionary(grouping: log, by: { $0.idempotencyKey ?? "" }) {
                let ordered = attempts.sorted { $0.receivedAt < $1.receivedAt }
                for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.status == 429 {
                    let retryAfter = try #require(previous.retryAfterSeconds)
                    #expect(next.receivedAt >= previous.receivedAt + .seconds(retryAfter))
                }
            }
        }
    }
}
