import Foundation
import Hummingbird
import Ingest
import Logging
import NIOCore
import Webhooks

/// `tl ingest run --webhook-port`: a bounded receiver of the platform's signed webhooks whose verified
/// "finished" events make the item (or batch) due for its next look at once. Polling stays as the fallback:
/// delivery is best-effort, and an event only says when to look, never what the result is.
enum IngestWebhooks {
    /// The signing secret from `file`, else `$TWELVE_LABS_WEBHOOK_SECRET`.
    static func secret(file: String?) throws -> String {
        let secret: String
        if let file {
            secret = String(decoding: try InputFile.contents(of: file, option: "--webhook-secret-file", what: "the webhook secret file"), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            secret = ProcessInfo.processInfo.environment[WebhooksCommand.Listen.secretVariable] ?? ""
        }
        guard !secret.isEmpty else {
            throw UsageError("No webhook secret: give --webhook-secret-file FILE, or set \(WebhooksCommand.Listen.secretVariable).")
        }
        return secret
    }

    /// Starts listening; returns once the port is open (the task runs the server until canceled).
    static func start(host: String, port: Int, secret: String, journal: IngestJournal) async throws -> Task<Void, any Error> {
        let receiver = WebhookReceiver<BasicRequestContext>(secret: secret) { event in
            await nudge(event, journal: journal)
        }
        let (server, bound) = try await IngestListener.start(
            receiver, host: host, port: port, name: "tl-ingest-webhooks", connections: 256, option: "--webhook-port")
        Console.note("webhooks: listening on http://\(IngestListener.shown(host)):\(bound)/")
        return server
    }

    /// A verified event: `analyze.task.<status>` or `analyze.batch.<status>` with the id in `data.id`.
    private static func nudge(_ event: WebhookEvent, journal: IngestJournal) async {
        guard let object = try? JSONSerialization.jsonObject(with: event.body) as? [String: Any],
              let type = object["type"] as? String, let data = object["data"] as? [String: Any], let id = data["id"] as? String
        else { return }
        if type.hasPrefix("analyze.task.") {
            _ = try? await journal.pollSoon(taskID: id)
        } else if type.hasPrefix("analyze.batch.") {
            _ = try? await journal.pollSoon(batchID: id)
        }
    }
}
