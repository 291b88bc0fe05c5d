public import AnalyzeAPI

/// Where an item is on its way from a file on disk to a stored result.
public enum ItemState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Seen and fingerprinted; not yet checked.
    case discovered
    /// Passed preflight; its report is stored.
    case checked
    /// Failed preflight: never sent (terminal).
    case rejected
    /// Being uploaded as an asset; the multipart resume state is in the journal.
    case uploading
    /// Uploaded; the asset is ready.
    case assetReady = "asset_ready"
    /// Its tasks are being created (intents committed).
    case submitting
    /// Every task was created; waiting for results.
    case submitted
    /// Every result is stored (terminal).
    case done
    /// Gave up after its attempts, or the platform failed a task (terminal until `tl ingest retry`).
    case failed

    /// Nothing more happens to an item in this state.
    public var isTerminal: Bool { self == .rejected || self == .done || self == .failed }

    /// The states a worker may claim.
    public static let claimable: [ItemState] = allCases.filter { !$0.isTerminal }
}

/// Where one task of an item (one prompt) is.
public enum RequestState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not yet sent.
    case pending
    /// Its `custom_id` and `Idempotency-Key` are committed and a create may have been sent: reconcile before
    /// creating again.
    case intent
    /// Created; the task id is stored.
    case submitted
    /// The task is `ready`; its result is stored.
    case done
    /// The task failed or was canceled on the platform, or its request was refused.
    case failed
}

/// How a job's items are sent.
public enum IngestMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// One task per item and prompt.
    case tasks
    /// Items packed into `/analyze/batches` requests.
    case batches
}

/// What a job asks of every file: fixed when the job is first run, so that running it again continues it.
public struct JobSpec: Sendable, Hashable, Codable {
    /// The job's name, unique in a journal.
    public var name: String
    /// One task per prompt and file.
    public var prompts: [String]
    /// The model, or the platform's default.
    public var modelName: String?
    /// Sampling temperature.
    public var temperature: Double?
    /// The most tokens to generate.
    public var maxTokens: Int?
    /// Structured output, if any.
    public var responseFormat: ResponseFormat?
    /// How items are sent.
    public var mode: IngestMode

    /// Creates a value from its fields.
    public init(name: String, prompts: [String], modelName: String? = nil, temperature: Double? = nil,
                maxTokens: Int? = nil, responseFormat: ResponseFormat? = nil, mode: IngestMode = .tasks) {
        self.name = name
        self.prompts = prompts
        self.modelName = modelName
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.responseFormat = responseFormat
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey {
        case name, prompts, temperature, mode
        case modelName = "model_name"
        case maxTokens = "max_tokens"
        case responseFormat = "response_format"
    }
}

/// A worker's hold on one item: writes carrying a token that is no longer the item's are refused.
public struct Lease: Sendable, Hashable {
    /// The item held.
    public var itemID: Int64
    /// The worker holding it.
    public var owner: String
    /// The fencing token: one more than the previous holder's.
    public var token: Int64
}

/// One task of an item, as the journal has it.
public struct RequestRecord: Sendable, Hashable {
    /// Which of the job's prompts.
    public var promptIndex: Int
    /// How many times it was sent afresh by `tl ingest retry` (part of its `custom_id`).
    public var generation: Int
    /// The task's `custom_id`, also its `Idempotency-Key`: the same on every machine.
    public var customID: String
    public var state: RequestState
    public var taskID: String?
    /// The task's last known status.
    public var taskStatus: String?
    /// The result, as the API's JSON.
    public var result: String?
    public var error: String?
}

/// One claimed item: a file of a job, held under ``lease``.
public struct IngestItem: Sendable, Hashable {
    public var id: Int64
    public var job: String
    /// The content fingerprint (``ContentFingerprint``).
    public var fingerprint: String
    /// Where the file was last seen.
    public var path: String
    public var size: Int64
    public var state: ItemState
    /// The preflight report, as JSON.
    public var report: String?
    /// The violation codes of a rejected item.
    public var codes: [String]
    /// The seconds the platform bills (from the probe, or the window).
    public var billableSeconds: Double?
    /// The multipart resume state, as JSON.
    public var uploadState: String?
    public var assetID: String?
    /// Failed attempts so far.
    public var attempts: Int
    public var lastError: String?
    /// One record per prompt.
    public var requests: [RequestRecord]
    public var lease: Lease
}

/// What one fenced write changes on an item and its requests.
public struct ItemUpdate: Sendable {
    var assignments: [(column: String, value: SQLValue)] = []
    var expressions: [String] = []
    var requestUpdates: [(promptIndex: Int, assignments: [(column: String, value: SQLValue)])] = []
    var releaseAfter: Double?

    /// An update that changes nothing yet.
    public init() {}

    /// Moves the item to `state`.
    public static func to(_ state: ItemState) -> ItemUpdate { ItemUpdate().state(state) }

    public func state(_ state: ItemState) -> ItemUpdate { setting("state", .text(state.rawValue)) }
    public func report(_ json: String?) -> ItemUpdate { setting("report", .optional(json)) }
    public func codes(_ codes: [String]) -> ItemUpdate { setting("codes", codes.isEmpty ? .null : .text(codes.joined(separator: ","))) }
    public func billableSeconds(_ seconds: Double?) -> ItemUpdate { setting("billable_seconds", .optional(seconds)) }
    public func uploadState(_ json: String?) -> ItemUpdate { setting("upload_state", .optional(json)) }
    public func assetID(_ id: String?) -> ItemUpdate { setting("asset_id", .optional(id)) }
    /// Records a failed attempt with its error.
    public func failedAttempt(_ message: String) -> ItemUpdate {
        var update = setting("last_error", .text(message))
        update.expressions.append("attempts = attempts + 1")
        return update
    }
    /// Gives up: the item becomes ``ItemState/failed``, remembering the state it failed in.
    public func givenUp(_ message: String, from state: ItemState) -> ItemUpdate {
        self.state(.failed).setting("last_error", .text(message)).setting("failed_from", .text(state.rawValue))
    }
    /// Clears the error and the attempt count (after a success).
    public func succeeded() -> ItemUpdate {
        var update = setting("last_error", .null)
        update.expressions.append("attempts = 0")
        return update
    }
    /// Lets go of the item in the same write; it may be claimed again after `seconds`.
    public func releasing(after seconds: Double = 0) -> ItemUpdate {
        var update = self
        update.releaseAfter = max(0, seconds)
        return update
    }
    /// Changes the request of prompt `index`.
    public func request(_ index: Int, state: RequestState, taskID: String? = nil, taskStatus: String? = nil,
                        result: String? = nil, error: String? = nil) -> ItemUpdate {
        var assignments: [(column: String, value: SQLValue)] = [("state", .text(state.rawValue))]
        if let taskID { assignments.append(("task_id", .text(taskID))) }
        if let taskStatus { assignments.append(("task_status", .text(taskStatus))) }
        if let result { assignments.append(("result", .text(result))) }
        if let error { assignments.append(("error", .text(error))) }
        var update = self
        update.requestUpdates.append((index, assignments))
        return update
    }

    private func setting(_ column: String, _ value: SQLValue) -> ItemUpdate {
        var update = self
        update.assignments.removeAll { $0.column == column }
        update.assignments.append((column, value))
        return update
    }
}

/// Counts and recent errors of a job (`tl ingest status`).
public struct JobStatus: Sendable, Hashable, Codable {
    public var job: String
    /// Items per state; every state is present.
    public var items: [String: Int]
    /// Tasks per request state.
    public var requests: [String: Int]
    /// Items that reached a terminal state in the last five minutes, per second.
    public var itemsPerSecond: Double
    /// The seconds left at that rate, when there is a rate.
    public var etaSeconds: Double?
    /// Seconds until the job may send again after a 429, if it is backing off.
    public var backoffSeconds: Double?
    /// The newest errors.
    public var recentErrors: [RecentError]

    public struct RecentError: Sendable, Hashable, Codable {
        public var path: String
        public var state: String
        public var attempts: Int
        public var error: String
    }

    enum CodingKeys: String, CodingKey {
        case job, items, requests
        case itemsPerSecond = "items_per_second"
        case etaSeconds = "eta_seconds"
        case backoffSeconds = "backoff_seconds"
        case recentErrors = "recent_errors"
    }
}

/// One record of `tl ingest results`: one item and prompt.
public struct ResultRecord: Sendable, Hashable, Codable {
    public var path: String
    public var fingerprint: String
    public var itemState: String
    public var promptIndex: Int?
    public var customID: String?
    public var taskID: String?
    /// `done`, `failed`, `rejected`, or where the request still is.
    public var status: String
    /// The task's result, as JSON text.
    public var result: String?
    /// The error, or a rejected item's violation codes.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case path, fingerprint, status, result, error
        case itemState = "item_state"
        case promptIndex = "prompt_index"
        case customID = "custom_id"
        case taskID = "task_id"
    }
}
