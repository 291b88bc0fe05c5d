public import Foundation

/// The status of a batch. Any string decodes (the platform adds statuses); compare with the static members.
/// Codable as its raw string (the standard library's `RawRepresentable` coding).
///
/// `completed` means every item finished, not that every item succeeded: read the item counts.
public struct BatchStatus: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The wire string.
    public var rawValue: String
    /// The status of a wire string, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Created; no item is processing yet.
    public static let pending = BatchStatus(rawValue: "pending")
    /// Items are being processed.
    public static let processing = BatchStatus(rawValue: "processing")
    /// Cancellation was asked for; processing items are finishing.
    public static let canceling = BatchStatus(rawValue: "canceling")
    /// Canceled; every item has finished or was canceled.
    public static let canceled = BatchStatus(rawValue: "canceled")
    /// Every item finished (ready or failed).
    public static let completed = BatchStatus(rawValue: "completed")
    /// 24 hours passed first; unfinished items were canceled.
    public static let expired = BatchStatus(rawValue: "expired")

    /// Every status this version knows, in lifecycle order.
    public static let known: [BatchStatus] = [.pending, .processing, .canceling, .canceled, .completed, .expired]

    /// `canceled`, `completed` and `expired` are final; every other status (unknown ones included) is not.
    public var isTerminal: Bool { self == .canceled || self == .completed || self == .expired }

    public var description: String { rawValue }
}

/// The settings of a batch request that its `defaults` give every item and that each item may override.
/// Encoded into the same JSON object as the item's other fields.
public struct BatchSettings: Sendable, Hashable, Codable {
    /// The prompt (the `prompt_v2` shape: text plus optional reference images).
    public var prompt: PromptV2?
    /// Structured output: `json_schema` for general analysis, `segment_definitions` for `time_based_metadata`.
    public var responseFormat: ResponseFormat?
    /// Sampling temperature, 0–1.
    public var temperature: Double?
    /// The most tokens to generate (a number; batches do not take `"unlimited"`).
    public var maxTokens: Int?
    /// Shortest segment, in seconds (`time_based_metadata`).
    public var minSegmentDuration: Double?
    /// Longest segment, in seconds (`time_based_metadata`).
    public var maxSegmentDuration: Double?
    /// Start of the analysis window, in seconds of the video's own timeline.
    public var startTime: Double?
    /// End of the analysis window.
    public var endTime: Double?

    /// Creates a value from its fields.
    public init(
        prompt: PromptV2? = nil, responseFormat: ResponseFormat? = nil, temperature: Double? = nil, maxTokens: Int? = nil,
        minSegmentDuration: Double? = nil, maxSegmentDuration: Double? = nil, startTime: Double? = nil, endTime: Double? = nil
    ) {
        self.prompt = prompt
        self.responseFormat = responseFormat
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.minSegmentDuration = minSegmentDuration
        self.maxSegmentDuration = maxSegmentDuration
        self.startTime = startTime
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case prompt, temperature
        case responseFormat = "response_format"
        case maxTokens = "max_tokens"
        case minSegmentDuration = "min_segment_duration"
        case maxSegmentDuration = "max_segment_duration"
        case startTime = "start_time"
        case endTime = "end_time"
    }

    /// The wire names of every setting.
    public static let knownFields: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))

    /// These settings, with each field `overrides` sets taking its place.
    public func overridden(by overrides: BatchSettings) -> BatchSettings {
        BatchSettings(
            prompt: overrides.prompt ?? prompt, responseFormat: overrides.responseFormat ?? responseFormat,
            temperature: overrides.temperature ?? temperature, maxTokens: overrides.maxTokens ?? maxTokens,
            minSegmentDuration: overrides.minSegmentDuration ?? minSegmentDuration,
            maxSegmentDuration: overrides.maxSegmentDuration ?? maxSegmentDuration,
            startTime: overrides.startTime ?? startTime, endTime: overrides.endTime ?? endTime)
    }
}

/// One request of a batch: an asset (batches take no other source), your id for it, and its overrides.
public struct BatchItemRequest: Sendable, Hashable, Codable {
    /// The asset to analyse (`{"type": "asset_id", "asset_id": ...}` on the wire).
    public var assetID: String
    /// Your identifier, unique within the batch.
    public var customID: String?
    /// Settings that replace the batch's `defaults` for this item.
    public var overrides: BatchSettings

    /// Creates a value from its fields.
    public init(assetID: String, customID: String? = nil, overrides: BatchSettings = BatchSettings()) {
        self.assetID = assetID
        self.customID = customID
        self.overrides = overrides
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case video
        case customID = "custom_id"
    }

    /// The wire names of every field an item may have.
    public static let knownFields: Set<String> = Set(CodingKeys.allCases.map(\.rawValue)).union(BatchSettings.knownFields)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let video = try container.decode(VideoContext.self, forKey: .video)
        guard case .assetID(let id) = video else {
            throw DecodingError.dataCorruptedError(forKey: .video, in: container, debugDescription: "A batch item's video must be an asset_id.")
        }
        assetID = id
        customID = try container.decodeIfPresent(String.self, forKey: .customID)
        overrides = try BatchSettings(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(VideoContext.assetID(assetID), forKey: .video)
        try container.encodeIfPresent(customID, forKey: .customID)
        try overrides.encode(to: encoder)
    }
}

/// The body of `POST /analyze/batches` (`CreateAnalyzeBatchRequest`).
///
/// Validate it with AnalyzeAPI's `BatchValidator` (`AnalyzeClient.createBatch(_:contentSeconds:)` does) before sending.
public struct CreateAnalyzeBatchRequest: Sendable, Hashable, Codable {
    /// The model of every item; batches take only `PlatformRules.batches.model` (`pegasus1.5`).
    public var modelName: String
    /// The analysis mode of every item (one mode per batch).
    public var analysisMode: String
    /// Settings every item gets unless it overrides them.
    public var defaults: BatchSettings?
    /// 1–1,000 requests.
    public var requests: [BatchItemRequest]

    /// Creates a value from its fields.
    public init(modelName: String = "pegasus1.5", analysisMode: String = "general", defaults: BatchSettings? = nil, requests: [BatchItemRequest]) {
        self.modelName = modelName
        self.analysisMode = analysisMode
        self.defaults = defaults
        self.requests = requests
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case modelName = "model_name"
        case analysisMode = "analysis_mode"
        case defaults, requests
    }

    /// The wire names of every top-level field.
    public static let knownFields: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))

    /// Each item as the single-task request it amounts to: its asset, model and mode, and the batch's
    /// defaults with the item's overrides. Validation judges these with the task rules.
    public var effectiveRequests: [CreateAsyncAnalyzeRequest] {
        requests.map { item in
            let settings = (defaults ?? BatchSettings()).overridden(by: item.overrides)
            return CreateAsyncAnalyzeRequest(
                video: .assetID(item.assetID), prompt: nil, temperature: settings.temperature,
                maxTokens: settings.maxTokens.map(MaxTokens.count), responseFormat: settings.responseFormat,
                modelName: modelName, customID: item.customID, analysisMode: analysisMode,
                startTime: settings.startTime, endTime: settings.endTime, promptV2: settings.prompt,
                minSegmentDuration: settings.minSegmentDuration, maxSegmentDuration: settings.maxSegmentDuration)
        }
    }
}

/// One created item: the task made for a request of the batch.
public struct CreatedBatchItem: Sendable, Hashable, Codable {
    /// The item's task; also at `GET /analyze/tasks/{task_id}`.
    public var taskID: String
    /// The request's `custom_id`, or `nil`.
    public var customID: String?

    /// Creates a value from its fields.
    public init(taskID: String, customID: String?) {
        self.taskID = taskID
        self.customID = customID
    }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id"
        case customID = "custom_id"
    }

    /// `custom_id` is always written, `null` when there is none: the contract requires the key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(taskID, forKey: .taskID)
        try container.encode(customID, forKey: .customID)
    }
}

/// The answer to `POST /analyze/batches` (201).
public struct CreatedBatch: Sendable, Hashable, Codable {
    /// The batch id.
    public var id: String
    /// Its status, normally `pending`.
    public var status: BatchStatus
    /// How many requests it holds.
    public var totalItems: Int
    /// When it was created.
    public var createdAt: Date?
    /// When unfinished items are canceled (24 hours after creation).
    public var expiresAt: Date?
    /// One task per request, in request order.
    public var items: [CreatedBatchItem]

    /// Creates a value from its fields.
    public init(id: String, status: BatchStatus, totalItems: Int, createdAt: Date?, expiresAt: Date?, items: [CreatedBatchItem]) {
        self.id = id
        self.status = status
        self.totalItems = totalItems
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.items = items
    }

    enum CodingKeys: String, CodingKey {
        case id = "batch_id"
        case status
        case totalItems = "total_items"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decodeIfPresent(BatchStatus.self, forKey: .status) ?? .pending
        items = try container.decodeIfPresent([CreatedBatchItem].self, forKey: .items) ?? []
        totalItems = try container.decodeIfPresent(Int.self, forKey: .totalItems) ?? items.count
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
    }
}

/// A batch as `GET /analyze/batches/{id}`, each item of the list, and the cancel answer show it.
///
/// Decoding is tolerant: a missing count is 0, unknown keys are ignored, any status string decodes.
public struct AnalyzeBatch: Sendable, Hashable, Codable, Identifiable {
    /// The batch id (`batch_id`).
    public var id: String
    /// The analysis mode of every item.
    public var analysisMode: String
    /// The model of every item.
    public var modelName: String
    /// The status; see ``BatchStatus/isTerminal``.
    public var status: BatchStatus
    /// Items in all.
    public var totalItems: Int
    /// When it was created.
    public var createdAt: Date?
    /// When it expires.
    public var expiresAt: Date?
    /// When it became `completed`.
    public var completedAt: Date?
    /// When it became `canceled`.
    public var canceledAt: Date?
    /// When it became `expired`.
    public var expiredAt: Date?
    /// Items waiting.
    public var queuedItems: Int
    /// Items being processed.
    public var processingItems: Int
    /// Items with a result.
    public var readyItems: Int
    /// Items that failed (not billed).
    public var failedItems: Int
    /// Items canceled (not billed).
    public var canceledItems: Int
    /// Delivery state of the batch-completion webhook, when endpoints are configured.
    public var webhooks: [WebhookDelivery]?

    /// Creates a value from its fields; every count starts at 0.
    public init(id: String, analysisMode: String, modelName: String, status: BatchStatus, totalItems: Int, createdAt: Date? = nil, expiresAt: Date? = nil) {
        self.id = id
        self.analysisMode = analysisMode
        self.modelName = modelName
        self.status = status
        self.totalItems = totalItems
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        queuedItems = 0
        processingItems = 0
        readyItems = 0
        failedItems = 0
        canceledItems = 0
    }

    /// Items that have finished: ready, failed or canceled.
    public var finishedItems: Int { readyItems + failedItems + canceledItems }

    enum CodingKeys: String, CodingKey {
        case id = "batch_id"
        case analysisMode = "analysis_mode"
        case modelName = "model_name"
        case status
        case totalItems = "total_items"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case completedAt = "completed_at"
        case canceledAt = "canceled_at"
        case expiredAt = "expired_at"
        case queuedItems = "queued_items"
        case processingItems = "processing_items"
        case readyItems = "ready_items"
        case failedItems = "failed_items"
        case canceledItems = "canceled_items"
        case webhooks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys) throws -> Int { try container.decodeIfPresent(Int.self, forKey: key) ?? 0 }
        id = try container.decode(String.self, forKey: .id)
        analysisMode = try container.decodeIfPresent(String.self, forKey: .analysisMode) ?? ""
        modelName = try container.decodeIfPresent(String.self, forKey: .modelName) ?? ""
        status = try container.decode(BatchStatus.self, forKey: .status)
        totalItems = try count(.totalItems)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
        completedAt = try container.decodeIfPresent(Date.self, forKey: .completedAt)
        canceledAt = try container.decodeIfPresent(Date.self, forKey: .canceledAt)
        expiredAt = try container.decodeIfPresent(Date.self, forKey: .expiredAt)
        queuedItems = try count(.queuedItems)
        processingItems = try count(.processingItems)
        readyItems = try count(.readyItems)
        failedItems = try count(.failedItems)
        canceledItems = try count(.canceledItems)
        webhooks = try container.decodeIfPresent([WebhookDelivery].self, forKey: .webhooks)
    }
}

/// One page of `GET /analyze/batches`.
public typealias BatchPage = Page<AnalyzeBatch>

/// One line of `GET /analyze/batches/{id}/results`: an item's status, and its result or error once it has one.
public struct BatchResultItem: Sendable, Hashable, Codable {
    /// The item's task.
    public var taskID: String
    /// The request's `custom_id`, or `nil`.
    public var customID: String?
    /// `queued`, `processing`, `ready`, `failed` or `canceled`.
    public var status: TaskStatus
    /// The result, for `ready` (the same object as a task's `result`).
    public var data: TaskResult?
    /// Why it failed or was canceled.
    public var error: TaskError?

    /// Creates a value from its fields.
    public init(taskID: String, customID: String?, status: TaskStatus, data: TaskResult? = nil, error: TaskError? = nil) {
        self.taskID = taskID
        self.customID = customID
        self.status = status
        self.data = data
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id"
        case customID = "custom_id"
        case status, data, error
    }

    /// `custom_id` is always written, `null` when there is none (the contract requires the key); `data` and
    /// `error` only when present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(taskID, forKey: .taskID)
        try container.encode(customID, forKey: .customID)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(data, forKey: .data)
        try container.encodeIfPresent(error, forKey: .error)
    }

    /// Every item of a results body: JSON Lines as published (blank lines skipped), or, tolerantly, a JSON
    /// array or a `{"data": [...]}` object.
    ///
    /// - Throws: `DecodingError` naming the first line that is not an item.
    public static func items(inResults body: Data, decoder: JSONDecoder = WireCoding.decoder()) throws -> [BatchResultItem] {
        let first = body.first { !(0x20 == $0 || 0x0A == $0 || 0x0D == $0 || 0x09 == $0) }
        if first == UInt8(ascii: "[") { return try decoder.decode([BatchResultItem].self, from: body) }
        if first == UInt8(ascii: "{"), let page = try? decoder.decode(Page<BatchResultItem>.self, from: body),
           !page.data.isEmpty || (try? decoder.decode(BatchResultItem.self, from: body)) == nil {
            return page.data
        }
        var items: [BatchResultItem] = []
        for (number, line) in body.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                items.append(try decoder.decode(BatchResultItem.self, from: Data(trimmed)))
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "line \(number + 1) is not a batch result item", underlyingError: error))
            }
        }
        return items
    }
}
