import AnalyzeAPI
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Webhooks

/// Announces a task's end to the configured endpoints, as the platform does: one signed event per
/// endpoint (`analyze.task.ready`, `analyze.task.failed` or `analyze.task.canceled`), the same event
/// id on every retry, up to ``WebhookSettings/attempts`` tries with doubling pauses, each try
/// recorded in the task's `webhooks[]`.
extension SandboxResponder {
    /// Starts following task `id` until it ends, then delivers its event (in the background).
    func announceWhenFinished(_ id: String) {
        let settings = configuration.webhooks
        guard !settings.urls.isEmpty else { return }
        let responder = self
        Task.detached {
            let clock = responder.configuration.clock
            // Wait on the sandbox clock until the task is terminal (or gone).
            while true {
                guard let record = responder.state.storage.withLock({ $0.tasks[id] }) else { return }
                let task = responder.task(from: record, now: clock.now())
                if task.status.isTerminal {
                    await responder.deliver(task, settings: settings)
                    return
                }
                try? await clock.sleep(for: .milliseconds(20))
            }
        }
    }

    private func deliver(_ task: AnalyzeTask, settings: WebhookSettings) async {
        var data: [String: Any] = ["id": task.id, "status": task.status.rawValue]
        if let customID = task.customID { data["custom_id"] = customID }
        let event: [String: Any] = [
            "id": "evt_\(task.id)_\(task.status.rawValue)",
            "created_at": RFC3339.string(from: configuration.clock.currentDate()),
            "type": "analyze.task.\(task.status.rawValue)",
            "data": data,
        ]
        guard let body = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        await withTaskGroup(of: Void.self) { group in
            for (index, url) in settings.urls.enumerated() {
                group.addTask { await self.deliver(body, to: url, index: index, taskID: task.id, settings: settings) }
            }
        }
    }

    private func deliver(_ body: Data, to url: String, index: Int, taskID: String, settings: WebhookSettings) async {
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
            record(taskID: taskID, index: index, attempts: attempt, delivered: failure == nil, lastError: failure)
            configuration.logger.info("webhook \(url) for \(taskID): attempt \(attempt) \(failure ?? "delivered")")
            if failure == nil || attempt == settings.attempts { return }
            try? await configuration.clock.sleep(for: pause)
            pause = pause * 2
        }
    }

    private func record(taskID: String, index: Int, attempts: Int, delivered: Bool, lastError: String?) {
        state.storage.withLock { storage in
            guard var deliveries = storage.tasks[taskID]?.deliveries, deliveries.indices.contains(index) else { return }
            deliveries[index].attempts = attempts
            deliveries[index].delivered = delivered
            deliveries[index].lastError = lastError
            storage.tasks[taskID]?.deliveries = deliveries
        }
    }
}
