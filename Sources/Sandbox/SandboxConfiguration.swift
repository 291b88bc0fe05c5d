public import PlatformRules
public import AnalyzeAPI
public import Foundation
public import Logging

/// Inspects a decoded base64 video before the sandbox accepts it for analysis.
///
/// It gets a temporary file holding the decoded bytes (deleted afterwards) and returns `nil` when the video is
/// acceptable, or the message the task fails with. `tl sandbox` wires in MediaProbe and Preflight here.
public typealias VideoInspector = @Sendable (URL) async -> String?

/// How a ``Sandbox`` behaves. Every default is fast and permissive, suited to tests and local development.
public struct SandboxConfiguration: Sendable {
    /// Interface to listen on.
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one.
    public var port: Int = 8787
    /// The only `x-api-key` accepted.
    public var apiKey: String
    /// How long a task spends in each state.
    public var lifecycle: TaskLifecycle = TaskLifecycle()
    /// Requests per minute per key, or `nil` for no limit.
    public var requestsPerMinute: Int?
    /// Seeded fault injection; off by default.
    public var faults: FaultInjection = FaultInjection()
    /// One error body shape for every endpoint, to test clients; `nil` (the default) answers each
    /// endpoint in the shape the published contract gives it (``ErrorShape/published(method:path:)``).
    public var errorShape: ErrorShape?
    /// Drives task lifecycles, rate-limit windows and injected delays.
    public var clock: any AnalyzeClock = SystemClock()
    /// Checks base64 videos; `nil` accepts every non-empty file.
    public var inspector: VideoInspector?
    /// Measures an asset's duration in seconds (`nil` when unknown), for the batch rules: the content-hour
    /// limit, and an item analysing more than 2 hours failing alone with `video_duration_too_long`. `tl sandbox`
    /// wires in MediaProbe; without one, durations are unknown and those rules are not applied.
    public var durationProbe: (@Sendable (URL) async -> Double?)?
    /// Items of a batch processed at once; the rest wait their turn (queued), one task lifecycle per round.
    public var batchItemsAtOnce = 8
    /// How long after creation a batch expires (24 hours on the platform); its unfinished items are canceled.
    public var batchLifetime: Duration = .seconds(24 * 3600)
    /// When set, every API request is answered `307` to this origin (same path), to test redirect handling.
    public var redirectOrigin: String?
    /// Where finished tasks are announced (signed `analyze.task.*` events), if anywhere.
    public var webhooks = WebhookSettings()
    /// The platform's rules the create checks apply (the same data the client validates with).
    public var rules: PlatformRules = .current
    /// Whether a repeated `Idempotency-Key` returns the first task or batch (the platform's documented
    /// behaviour). Off: every create makes a new one, so only a client's own reconciliation prevents duplicates.
    public var honorsIdempotencyKeys = true
    /// Asset uploads: size limits, chunk size, URL lifetime, processing time, storage faults.
    public var uploads: UploadSettings = UploadSettings()
    /// One line per request at `info`.
    public var logger: Logger = Logger(label: "Sandbox", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A configuration accepting `apiKey`, with every other setting at its default.
    public init(apiKey: String) {
        self.apiKey = apiKey
    }

    /// The path prefix served, matching the production base URL's version segment.
    public static let pathPrefix = "/v1.3"

    /// The accepting inspector used when none is configured: rejects only an empty file.
    public static let defaultInspector: VideoInspector = { url in
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        return size == 0 ? "The video file is empty." : nil
    }
}

/// The sandbox's webhook endpoints: each task that ends (`ready`, `failed`, `canceled`) is announced
/// to every URL, signed with `TL-Signature`, with retries and backoff; each endpoint's
/// `{url, delivered, attempts, last_error}` shows in the task's `webhooks[]`.
public struct WebhookSettings: Sendable {
    /// The endpoints; none by default.
    public var urls: [String] = []
    /// The signing secret (required when there are endpoints).
    public var secret = ""
    /// Attempts per endpoint and event.
    public var attempts = 4
    /// The pause before the second attempt; it doubles after each.
    public var backoff: Duration = .milliseconds(200)
    /// How long one attempt may take.
    public var timeout: Duration = .seconds(5)

    /// No endpoints.
    public init() {}
}
