import AnalyzeAPI
import Foundation
@testable import Sandbox
import Testing

/// The sandbox's state changes as plain methods, without HTTP: the task lifecycle, cancel and delete, and a
/// batch's slots, cancel, expiry and the active limit, at chosen instants.
@Suite struct SandboxStateTests {
    static func state(_ configure: (inout SandboxConfiguration) -> Void = { _ in }) -> SandboxState {
        var configuration = SandboxConfiguration(apiKey: "k")
        configuration.lifecycle = TaskLifecycle(queued: .seconds(1), pending: .seconds(1), processing: .seconds(10))
        configure(&configuration)
        return SandboxState(configuration: configuration)
    }

    static let request = CreateAsyncAnalyzeRequest(video: .url("https://cdn.example.com/a.mp4"), prompt: "What is shown?")
    static let date = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aTaskMovesThroughItsLifecycleAndRefusesWhatItsStatusForbids() {
        let state = Self.state()
        let (id, created) = state.insertTask(Self.request, failure: nil, result: ResultGenerator.result(for: Self.request),
                                             idempotency: nil, now: .zero, date: Self.date)
        #expect(created)
        #expect([0.5, 1.5, 5, 12].map { state.task(id, now: .seconds($0))?.status } == [.queued, .pending, .processing, .ready])
        #expect(state.deleteTask(id, now: .seconds(5)) == .conflict, "still processing")
        #expect(state.cancelTask(id, now: .seconds(13)) == .conflict, "already ready")
        #expect(state.deleteTask(id, now: .seconds(13)) == .done && state.task(id, now: .seconds(13)) == nil)
        #expect(state.cancelTask(id, now: .zero) == .notFound)

        let (other, _) = state.insertTask(Self.request, failure: ("too long", "video_duration_too_long"), result: ResultGenerator.result(for: Self.request),
                                          idempotency: nil, now: .zero, date: Self.date)
        #expect(state.task(other, now: .seconds(12))?.error?.code == "video_duration_too_long")
        let (canceled, _) = state.insertTask(Self.request, failure: nil, result: ResultGenerator.result(for: Self.request),
                                             idempotency: nil, now: .zero, date: Self.date)
        #expect(state.cancelTask(canceled, now: .seconds(3)) == .done)
        let seen = state.task(canceled, now: .seconds(20))
        #expect(seen?.status == .canceled && seen?.error?.code == "user_canceled" && seen?.completedAt == Self.date.addingTimeInterval(3))
    }

    @Test func aBatchTakesSlotsExpiresAndCountsTowardTheActiveLimit() {
        let state = Self.state { $0.batchItemsAtOnce = 1; $0.batchLifetime = .seconds(30) }
        let batch = CreateAnalyzeBatchRequest(defaults: BatchSettings(prompt: PromptV2(inputText: "x")),
                                              requests: (0..<3).map { BatchItemRequest(assetID: "a\($0)") })
        let items = batch.effectiveRequests
        guard case .created(let id) = state.insertBatch(batch, items: items, failures: [nil, "too long", nil], idempotency: nil,
                                                        now: .zero, date: Self.date) else { Issue.record("not created"); return }
        // One slot: item 1 waits 10 s, item 2 waits 20 s, and the batch expires at 30 s, before item 2 is done.
        #expect(state.batchItems(id, now: .seconds(5))?.map(\.status) == [.processing, .queued, .queued])
        #expect(state.batch(id, now: .seconds(5))?.status == .processing)
        let expired = state.batch(id, now: .seconds(31))
        #expect(expired?.status == .expired && expired?.readyItems == 1 && expired?.failedItems == 1 && expired?.canceledItems == 1)
        #expect(state.batchItems(id, now: .seconds(31))?.last?.error?.code == "batch_expired")
        #expect(state.cancelBatch(id, now: .seconds(31)) == .conflict)
        #expect(state.deleteBatch(id, now: .seconds(31)) == .done && state.batch(id, now: .seconds(31)) == nil)

        // The limit counts batches that are not finished at that instant.
        for _ in 1...5 {
            guard case .created = state.insertBatch(batch, items: items, failures: [], idempotency: nil, now: .seconds(40), date: Self.date) else {
                Issue.record("refused early"); return
            }
        }
        #expect(state.insertBatch(batch, items: items, failures: [], idempotency: nil, now: .seconds(41), date: Self.date) == .limitReached(5))
        guard case .created(let later) = state.insertBatch(batch, items: items, failures: [], idempotency: nil, now: .seconds(80), date: Self.date) else {
            Issue.record("the finished batches still counted"); return
        }
        #expect(state.cancelBatch(later, now: .seconds(85)) == .done)
        #expect(state.batchItems(later, now: .seconds(85))?.map { $0.error?.code } == [nil, "batch_canceled", "batch_canceled"])
        #expect(state.batch(later, now: .seconds(86))?.status == .canceling)
        #expect(state.batch(later, now: .seconds(92))?.status == .canceled)
    }
}
