/// The body of `POST /analyze/tasks` (`CreateAsyncAnalyzeRequest`). Optional fields are omitted when `nil`.
///
/// Validate it with AnalyzeAPI's `RequestValidator` (`AnalyzeClient.createTask(_:idempotencyKey:)` does) before sending.
public struct CreateAsyncAnalyzeRequest: Sendable, Hashable, Codable {
    /// The video to analyse.
    public var video: VideoContext
    /// What to ask about the video; required for general analysis (or ``promptV2``), at most 2,000 tokens.
    public var prompt: String?
    /// A prompt with reference images (models whose `ModelRules.promptV2` is true); exclusive with ``prompt``.
    public var promptV2: PromptV2?
    /// Sampling temperature, 0–1 (platform default 0.2).
    public var temperature: Double?
    /// The most tokens to generate.
    public var maxTokens: MaxTokens?
    /// Structured output: a JSON Schema the result must conform to. `nil` means plain text.
    public var responseFormat: ResponseFormat?
    /// The model, e.g. `pegasus1.2`.
    public var modelName: String?
    /// Your own identifier for the task: 1–64 characters of `[A-Za-z0-9_-]`.
    public var customID: String?
    /// The analysis mode of newer models.
    public var analysisMode: String?
    /// Start of the analysed window, in seconds.
    public var startTime: Double?
    /// End of the analysed window, in seconds.
    public var endTime: Double?
    /// Shortest segment, in seconds (`time_based_metadata` only; at least 2).
    public var minSegmentDuration: Double?
    /// Longest segment, in seconds (`time_based_metadata` only; at least ``minSegmentDuration``).
    public var maxSegmentDuration: Double?

    /// Creates a value from its fields.
    public init(
        video: VideoContext,
        prompt: String?,
        temperature: Double? = nil,
        maxTokens: MaxTokens? = nil,
        responseFormat: ResponseFormat? = nil,
        modelName: String? = nil,
        customID: String? = nil,
        analysisMode: String? = nil,
        startTime: Double? = nil,
        endTime: Double? = nil,
        promptV2: PromptV2? = nil,
        minSegmentDuration: Double? = nil,
        maxSegmentDuration: Double? = nil
    ) {
        self.video = video
        self.prompt = prompt
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.responseFormat = responseFormat
        self.modelName = modelName
        self.customID = customID
        self.analysisMode = analysisMode
        self.startTime = startTime
        self.endTime = endTime
        self.promptV2 = promptV2
        self.minSegmentDuration = minSegmentDuration
        self.maxSegmentDuration = maxSegmentDuration
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case video, prompt, temperature
        case maxTokens = "max_tokens"
        case responseFormat = "response_format"
        case modelName = "model_name"
        case customID = "custom_id"
        case analysisMode = "analysis_mode"
        case startTime = "start_time"
        case endTime = "end_time"
        case promptV2 = "prompt_v2"
        case minSegmentDuration = "min_segment_duration"
        case maxSegmentDuration = "max_segment_duration"
    }

    /// The wire names of every field this type knows.
    public static let knownFields: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))
}
