import AnalyzeAPI
public import Foundation
import NIOConcurrencyHelpers

/// The mutable state of a running sandbox: tasks, idempotency keys, rate-limit windows, the fault generator
/// and the request log. Thread-safe; tests read and steer it through the public members.
public final class SandboxState: Sendable {
    struct TaskRecord: Sendable {
        var id: String
        var sequence: Int
        var customID: String?
        var video: VideoContext
        var analysisMode: String
        var createdAt: Duration
        var createdDate: Date
        var canceledAt: Duration?
        var failure: String?
        var result: GeneratedResult
        /// Each webhook endpoint's delivery of the task's end, once there are endpoints.
        var deliveries: [WebhookDelivery] = []
        /// The batch it belongs to.
        var batchID: String?
        /// How long it waits for a processing slot before its own lifecycle starts (batch items).
        var delay: Duration = .zero
        /// The `error.code` of its cancellation: `user_canceled`, or `batch_canceled` for a batch's.
        var cancelCode = "user_canceled"
        /// The `error.code` when it fails.
        var failureCode = "video_not_supported"
        /// When its batch expires: unfinished by then, it is canceled with `batch_expired`.
        var expiresAt: Duration?
    }

    struct BatchRecord: Sendable {
        var id: String
        var sequence: Int
        var modelName: String
        var analysisMode: String
        var createdAt: Duration
        var createdDate: Date
        var taskIDs: [String]
        /// When cancellation was asked for.
        var cancelRequestedAt: Duration?
        /// Each webhook endpoint's delivery of the batch-completion event.
        var deliveries: [WebhookDelivery] = []
    }

    struct Storage {
        var tasks: [String: TaskRecord] = [:]
        var nextSequence = 0
        /// Per scoped Idempotency-Key: the task it created and a fingerprint of the body (its length and
        /// ``ChunkDigest``), not the body itself, which may be a 30 MB base64 video.
        var idempotency: [String: (taskID: String, body: BodyFingerprint)] = [:]
        var windows: [String: (start: Duration, count: Int)] = [:]
        var random: SplitMix64
        var faults: FaultInjection
        var scripted: [ScriptedResponse] = []
        var log: [RecordedRequest] = []
        var requestCount = 0
        var createdCount = 0
        var assets: AssetStore
        var batches: [String: BatchRecord] = [:]
        /// Per scoped Idempotency-Key of `POST /analyze/batches`: the batch it created.
        var batchIdempotency: [String: (batchID: String, body: BodyFingerprint)] = [:]
    }

    let storage: NIOLockedValueBox<Storage>
    let configuration: SandboxConfiguration
    /// Where uploaded assets and chunks are kept: a fresh temporary directory, removed when the sandbox stops.
    public let storageDirectory: URL

    init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        storage = NIOLockedValueBox(Storage(
            random: SplitMix64(seed: configuration.faults.seed), faults: configuration.faults,
            assets: AssetStore(faults: configuration.uploads.storageFaults)))
        storageDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tl-sandbox-storage-\(UUID().uuidString)", isDirectory: true)
    }

    deinit {
        removeStorage()
    }

    // MARK: Test API

    /// Requests received so far, faulted and rejected ones included.
    public var requestCount: Int { storage.withLockedValue { $0.requestCount } }

    /// Tasks created so far (idempotent replays not counted), deleted ones included.
    public var createdTaskCount: Int { storage.withLockedValue { $0.createdCount } }

    /// Tasks currently stored.
    public var taskCount: Int { storage.withLockedValue { $0.tasks.count } }

    /// Tasks stored per `custom_id` (idempotent replays are not tasks): what exactly-once checks compare.
    public var tasksByCustomID: [String: Int] {
        storage.withLockedValue { storage in
            storage.tasks.values.reduce(into: [String: Int]()) { counts, record in
                if let id = record.customID { counts[id, default: 0] += 1 }
            }
        }
    }

    /// The requests received so far, in arrival order (the latest ``requestLogLimit`` of them).
    public var requests: [RecordedRequest] { storage.withLockedValue { $0.log } }

    /// How many requests ``requests`` keeps, so that a long-running sandbox does not grow without bound.
    public static let requestLogLimit = 100_000

    /// The `custom_id` of every stored task, for duplicate checks.
    public var customIDs: [String?] { storage.withLockedValue { $0.tasks.values.sorted { $0.sequence < $1.sequence }.map(\.customID) } }

    /// Replaces the fault injection settings (and reseeds the generator).
    public func setFaults(_ faults: FaultInjection) {
        storage.withLockedValue {
            $0.faults = faults
            $0.random = SplitMix64(seed: faults.seed)
        }
    }

    /// Queues `response` for the next request matching its path prefix (after authentication).
    public func enqueue(_ response: ScriptedResponse) {
        storage.withLockedValue { $0.scripted.append(response) }
    }

    // MARK: Internals

    func record(_ request: RecordedRequest) {
        storage.withLockedValue {
            $0.requestCount += 1
            if $0.log.count >= Self.requestLogLimit { $0.log.removeFirst(Self.requestLogLimit / 10) }
            $0.log.append(request)
        }
    }

    func takeScripted(path: String) -> ScriptedResponse? {
        storage.withLockedValue { storage in
            guard let index = storage.scripted.firstIndex(where: { path.hasPrefix($0.pathPrefix) }) else { return nil }
            return storage.scripted.remove(at: index)
        }
    }

    /// Decides whether this request is faulted, and how.
    func drawFault() -> (FaultInjection.Kind, UInt64)? {
        storage.withLockedValue { storage in
            let faults = storage.faults
            guard faults.rate > 0, !faults.kinds.isEmpty else { return nil }
            let roll = storage.random.nextUnit()
            guard roll < faults.rate else { return nil }
            let kind = faults.kinds[Int(storage.random.next() % UInt64(faults.kinds.count))]
            return (kind, storage.random.next())
        }
    }

    var faultDelay: Duration { storage.withLockedValue { $0.faults.delay } }

    /// Counts a request against the key's fixed one-minute window; returns the wait when over the limit.
    func admit(key: String, now: Duration) -> RateDecision? {
        guard let limit = configuration.requestsPerMinute else { return nil }
        return storage.withLockedValue { storage in
            var window = storage.windows[key] ?? (start: now, count: 0)
            if now - window.start >= .seconds(60) { window = (start: now, count: 0) }
            let resetIn = window.start + .seconds(60) - now
            if window.count >= limit {
                storage.windows[key] = window
                return RateDecision(limit: limit, remaining: 0, resetIn: resetIn, allowed: false)
            }
            window.count += 1
            storage.windows[key] = window
            return RateDecision(limit: limit, remaining: limit - window.count, resetIn: resetIn, allowed: true)
        }
    }

    struct RateDecision {
        var limit: Int
        var remaining: Int
        var resetIn: Duration
        var allowed: Bool
    }
}
