import AnalyzeAPI
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Sandbox
import ServiceLifecycle
import NIOConcurrencyHelpers
import Testing

/// The sandbox announces finished tasks to its webhook endpoints: signed, retried with backoff
/// after failures, with the same event id on every retry, and recorded in the task's `webhooks[]`.
/// The waits are bounded by time, not by a count of polls: at the start of `make test`, beside the FFmpeg
/// suites, each poll can take a hundred times longer than alone.
@Suite(.timeLimit(.minutes(3))) struct WebhookDeliveryTests {
    static let secret = "whsec_sandbox_77"

    /// What the receiver saw: each attempt's event id and whether its signature verified.
    final class Receiver: Sendable {
        let attempts = NIOLockedValueBox<[(id: String, type: String, verified: Bool)]>([])
        let failFirst: Int
        init(failFirst: Int) { self.failFirst = failFirst }

        /// Checks the signature by hand from the documented formula: HMAC-SHA256(secret, t + "." + body).
        static func verifiedByHand(_ header: String?, _ body: Data) -> Bool {
            guard let header else { return false }
            let parts = Dictionary(header.split(separator: ",").compactMap { part -> (String, String)? in
                let pair = part.split(separator: "=", maxSplits: 1)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
            guard let t = parts["t"], let v1 = parts["v1"], let seconds = Double(t),
                  abs(Date().timeIntervalSince1970 - seconds) < 300 else { return false }
            var message = Data((t + ".").utf8)
            message.append(body)
            let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(WebhookDeliveryTests.secret.utf8)))
            return Data(mac).map { String(format: "%02x", $0) }.joined() == v1
        }
    }

    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let receiver: Receiver
        func respond(to request: Request, context: Context) async throws -> Response {
            let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            let verified = Receiver.verifiedByHand(request.headers[HTTPField.Name("TL-Signature")!], body)
            let count = receiver.attempts.withLockedValue { attempts in
                attempts.append((object["id"] as? String ?? "", object["type"] as? String ?? "", verified))
                return attempts.count
            }
            return Response(status: count <= receiver.failFirst ? .internalServerError : .ok)
        }
    }

    /// Runs `body` with a receiver on a free loopback port that answers 500 to its first `failFirst` attempts.
    static func withReceiver(failFirst: Int, _ body: (_ hook: String, Receiver) async throws -> Void) async throws {
        let receiver = Receiver(failFirst: failFirst)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: Responder(receiver: receiver),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: .init(label: "receiver"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body("http://127.0.0.1:\(port)/hook", receiver)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func aReceiverThatFailsTwiceGetsTheEventOnTheThirdAttempt() async throws {
        try await Self.withReceiver(failFirst: 2) { hook, receiver in
            try await SandboxTests.withSandbox({
                // Long enough that the cancel below reaches the second task before it finishes, under any load.
                $0.lifecycle = TaskLifecycle(queued: .milliseconds(20), pending: .milliseconds(20), processing: .seconds(6))
                $0.webhooks.urls = [hook]
                $0.webhooks.secret = Self.secret
                $0.webhooks.backoff = .milliseconds(50)
            }) { _, send in
                let created = try await send("POST", "/analyze/tasks", SandboxTests.createBody, nil)
                let id = try #require(created.json?["task_id"]?.stringValue)
                var delivery: JSONValue?
                let deadline = ContinuousClock.now + .seconds(90)
                while ContinuousClock.now < deadline {
                    delivery = try await send("GET", "/analyze/tasks/\(id)", nil, nil).json?["webhooks"]?.arrayValue?.first
                    if delivery?["delivered"] == .bool(true) { break }
                    try await Task.sleep(for: .milliseconds(25))
                }
                #expect(delivery == .object(["url": .string(hook), "delivered": .bool(true), "attempts": .integer(3), "last_error": .string("HTTP 500")]) ||
                        delivery == .object(["url": .string(hook), "delivered": .bool(true), "attempts": .integer(3)]), "\(String(describing: delivery))")
                let seen = receiver.attempts.withLockedValue { $0 }
                #expect(seen.count == 3)
                let allVerified = seen.allSatisfy { $0.verified }
                #expect(allVerified, "every attempt is signed as documented")
                #expect(Set(seen.map(\.id)) == ["evt_\(id)_ready"], "one event id across retries")
                let allReady = seen.allSatisfy { $0.type == "analyze.task.ready" }
                #expect(allReady)

                // A canceled task is announced as canceled.
                try await Task.sleep(for: .milliseconds(10))
                let slow = try await send("POST", "/analyze/tasks", SandboxTests.createBody.replacingOccurrences(of: "What is shown?", with: "Other"), nil)
                let slowID = try #require(slow.json?["task_id"]?.stringValue)
                let cancel = try await send("POST", "/analyze/tasks/\(slowID)/cancel", nil, nil)
                #expect(cancel.status == 200, "the task finished before the cancel: \(cancel.text)")
                let canceledBy = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < canceledBy, !receiver.attempts.withLockedValue({ $0.contains { $0.id == "evt_\(slowID)_canceled" } }) {
                    try await Task.sleep(for: .milliseconds(25))
                }
                let canceled = receiver.attempts.withLockedValue { attempts in
                    attempts.contains { $0.id == "evt_\(slowID)_canceled" && $0.type == "analyze.task.canceled" && $0.verified }
                }
                #expect(canceled)
            }
        }
    }

    /// A finished batch is announced once, signed, retried after failures; its items send no events of their own.
    @Test func aFinishedBatchIsAnnouncedWithASignedEvent() async throws {
        try await Self.withReceiver(failFirst: 1) { hook, receiver in
            // Signed at the sandbox clock's time, which the receiver checks against its own: start it now.
            let clock = ManualClock(mode: .manual, origin: Date())
            try await BatchRoutesTests.with(clock, {
                $0.webhooks.urls = [hook]
                $0.webhooks.secret = Self.secret
                $0.webhooks.backoff = .milliseconds(50)
            }) { client in
                let assets = try await BatchRoutesTests.readyAssets(client, clock, ["a", "b"])
                let created = try await client.post("/analyze/batches", json: BatchRoutesTests.batchBody(assets))
                let id = try #require(created.json?["batch_id"]?.stringValue)
                clock.advance(by: .seconds(13))
                var batch: JSONValue?
                let deadline = ContinuousClock.now + .seconds(90)
                while ContinuousClock.now < deadline {
                    batch = try await client.send("GET", "/analyze/batches/\(id)").json
                    if batch?["webhooks"]?.arrayValue?.first?["delivered"] == .bool(true) { break }
                    clock.advance(by: .milliseconds(50))
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(batch?["status"] == .string("completed"))
                #expect(batch?["webhooks"]?.arrayValue?.first?["attempts"] == .integer(2), "\(String(describing: batch))")
                let seen = receiver.attempts.withLockedValue { $0 }
                #expect(seen.count == 2 && seen.allSatisfy { $0.verified && $0.type == "analyze.batch.completed" && $0.id == "evt_\(id)_completed" },
                        "\(seen)")
            }
        }
    }
}
