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
    /// Which error body shape to answer with.
    public var errorShape: ErrorShape = .flat
    /// Drives task lifecycles, rate-limit windows and injected delays.
    public var clock: any AnalyzeClock = SystemClock()
    /// Checks base64 videos; `nil` accepts every non-empty file.
    public var inspector: VideoInspector?
    /// When set, every API request is answered `307` to this origin (same path), to test redirect handling.
    public var redirectOrigin: String?
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

/// Time a task spends queued, pending and processing before it finishes.
public struct TaskLifecycle: Sendable, Hashable {
    /// Time in `queued`.
    public var queued: Duration = .milliseconds(100)
    /// Time in `pending`.
    public var pending: Duration = .milliseconds(100)
    /// Time in `processing`.
    public var processing: Duration = .milliseconds(300)

    /// Creates a value from its fields.
    public init(queued: Duration = .milliseconds(100), pending: Duration = .milliseconds(100), processing: Duration = .milliseconds(300)) {
        self.queued = queued
        self.pending = pending
        self.processing = processing
    }

    /// Queued + pending + processing.
    public var total: Duration { queued + pending + processing }
}

/// The platform's two error body shapes.
public enum ErrorShape: String, Sendable, Hashable {
    /// `{"code": "...", "message": "..."}`
    case flat
    /// `{"error": {"code": "...", "message": "..."}}`
    case nested
}

/// Seeded random faults: a ``rate`` fraction of requests (after authentication) gets one of ``kinds``.
public struct FaultInjection: Sendable, Hashable {
    /// What can go wrong with one request.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// 500, 502 or 503, either before the request takes effect or after (the answer is lost, not the effect).
        case serverError = "server-error"
        /// 429 with an empty body and `Retry-After: 1`.
        case rateLimited = "rate-limited"
        /// The request takes effect, then the connection is closed without an answer.
        case dropConnection = "drop"
        /// The answer comes after ``FaultInjection/delay`` on the sandbox clock.
        case delay
    }

    /// Fraction of requests faulted, 0–1.
    public var rate: Double = 0
    /// The faults drawn from, uniformly.
    public var kinds: [Kind] = Kind.allCases
    /// Seed of the fault generator: the same seed and request order give the same faults.
    public var seed: UInt64 = 1
    /// Delay of ``Kind/delay`` faults.
    public var delay: Duration = .milliseconds(200)

    /// Creates a value from its fields.
    public init(rate: Double = 0, kinds: [Kind] = Kind.allCases, seed: UInt64 = 1, delay: Duration = .milliseconds(200)) {
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.delay = delay
    }
}

/// A response the test API queues for upcoming requests (see ``SandboxState/enqueue(_:)``).
public struct ScriptedResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// Platform error code in the body; `nil` sends an empty body.
    public var code: String?
    /// A readable explanation.
    public var message: String
    /// The error body shape.
    public var shape: ErrorShape
    /// Extra response headers (`Retry-After`, `x-request-id`, …).
    public var headers: [String: String]
    /// Applied only to requests whose path (after the version prefix) starts with this.
    public var pathPrefix: String

    /// Creates a value from its fields.
    public init(
        status: Int, code: String? = nil, message: String = "", shape: ErrorShape = .flat,
        headers: [String: String] = [:], pathPrefix: String = "/analyze/tasks"
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.shape = shape
        self.headers = headers
        self.pathPrefix = pathPrefix
    }
}
