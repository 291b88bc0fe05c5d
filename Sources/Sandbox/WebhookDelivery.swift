import AnalyzeAPI
import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Synchronization
import WebhookSignature

/// Announces a task's or a batch's end to the configured endpoints, as the platform does: one signed event
/// per endpoint (`analyze.task.ready`, `analyze.task.failed`, `analyze.task.canceled`, or the batch's), the
/// same event id on every retry, up to ``WebhookSettings/attempts`` tries with doubling pauses, each try
/// recorded in the task's (or batch's) `webhooks[]`. Tasks of a batch send no event of their own.
extension SandboxResponder {
    /// What an event announces, and where its deliveries are recorded.
    enum Announced {
        case task(String)
        case batch(String)
    }

    /// Starts following task `id` until it ends, then delivers its event (in the background).
    func announceWhenFinished(_ id: String) {
        announce(.task(id)) { responder, now in
            guard let task = responder.state.task(id, now: now) else { return .gone }
            guard task.status.isTerminal else { return .running }
            var data: [String: Any] = ["id": task.id, "status": task.status.rawValue]
            if let customID = task.customID { data["custom_id"] = customID }
            return .finished(type: "analyze.task.\(task.status.rawValue)", eventID: "evt_\(task.id)_\(task.status.rawValue)", data: data)
        }
    }

    /// Starts following batch `id` until it is completed, canceled or expired, then delivers its
    /// batch-completion event, `analyze.batch.<status>` (the platform does not publish the name).
    func announceBatchWhenFinished(_ id: String) {
        announce(.batch(id)) { responder, now in
            guard let batch = responder.batchSnapshot(id) else { return .gone }
            guard batch.status.isTerminal else { return .running }
            let data: [String: Any] = [
                "id": batch.id, "status": batch.status.rawValue, "total_items": batch.totalItems,
                "ready_items": batch.readyItems, "failed_items": batch.failedItems, "canceled_items": batch.canceledItems,
            ]
            return .finished(type: "analyze.batch.\(batch.status.rawValue)", eventID: "evt_\(batch.id)_\(batch.status.rawValue)", data: data)
        }
    }

    enum Progress {
        case running, gone
        case finished(type: String, eventID: String, data: [String: Any])
    }

    /// Waits on the sandbox clock until `check` says the subject finished, then delivers its event.
    private func announce(_ subject: Announced, check: @escaping @Sendable (SandboxResponder, Duration) -> Progress) {
        let settings = configuration.webhooks
        guard !settings.urls.isEmpty else { return }
        let responder = self
        Task.detached {
            let clock = responder.configuration.clock
            while true {
                switch check(responder, clock.now()) {
                case .gone: return
                case .running: try? await clock.sleep(for: .milliseconds(20))
                case .finished(let type, let eventID, let data):
                    let event: [String: Any] = [
                        "id": eventID, "created_at": RFC3339.string(from: clock.currentDate()), "type": type, "data": data,
                    ]
                    guard let body = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
                    await withTaskGroup(of: Void.self) { group in
                        for (index, url) in settings.urls.enumerated() {
                            group.addTask { await responder.deliver(body, to: url, index: index, subject: subject, settings: settings) }
                        }
                    }
                    return
                }
            }
        }
    }

    private func deliver(_ body: Data, to url: String, index: Int, subject: Announced, settings: WebhookSettings) async {
        var pause = settings.backoff
        for attempt in 1...max(1, settings.attempts) {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            // Signed at each attempt's own time, as the timestamp must be recent.
            request.headers.add(name: "TL-Signature", value: TLSignature.header(body: body, secret: settings.secret, timestamp: configuration.clock.currentDate()))
            request.body = .bytes(ByteBuffer(bytes: body))
            var failure: String?
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(settings.timeout.components.seconds) * 1_000_000_000))
                _ = try? await response.body.collect(upTo: 64 << 10)
                if !(200..<300).contains(response.status.code) { failure = "HTTP \(response.status.code)" }
            } catch {
                failure = "no answer: \(error)"
            }
            record(subject, index: index, attempts: attempt, delivered: failure == nil, lastError: failure)
            configuration.logger.info("webhook \(url) for \(subject): attempt \(attempt) \(failure ?? "delivered")")
            if failure == nil || attempt == settings.attempts { return }
            try? await configuration.clock.sleep(for: pause)
            pause = pause * 2
        }
    }

    private func record(_ subject: Announced, index: Int, attempts: Int, delivered: Bool, lastError: String?) {
        func update(_ deliveries: inout [WebhookDelivery]) {
            guard deliveries.indices.contains(index) else { return }
            deliveries[index].attempts = attempts
            deliveries[index].delivered = delivered
            deliveries[index].lastError = lastError
        }
        state.storage.withLockedValue { storage in
            switch subject {
            case .task(let id): if storage.tasks[id] != nil { update(&storage.tasks[id]!.deliveries) }
            case .batch(let id): if storage.batches[id] != nil { update(&storage.batches[id]!.deliveries) }
            }
        }
    }
}
