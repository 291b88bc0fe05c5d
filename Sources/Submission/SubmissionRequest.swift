public import AnalyzeAPI

/// What a submission asks: one or more prompts and the settings every task shares.
public struct SubmissionRequest: Sendable, Hashable {
    /// One task is created per prompt (on one upload).
    public var prompts: [String]
    /// Sampling temperature, 0–1.
    public var temperature: Double?
    /// The most tokens to generate.
    public var maxTokens: MaxTokens?
    /// Structured output, or `nil` for plain text.
    public var responseFormat: ResponseFormat?
    /// Your identifier; with several prompts each task gets `<id>-<n>` (n from 1), which must still be valid.
    public var customID: String?
    /// The model, e.g. `pegasus1.2`.
    public var modelName: String?
    /// `general` or `time_based_metadata`; `nil` is the platform's default.
    public var analysisMode: String?
    /// Reference images; when there are any, each prompt is sent as `prompt_v2` with them.
    public var mediaSources: [MediaSource] = []
    /// The analysis window's start, in seconds of the video's own timeline (preflight judges it against the file).
    public var startTime: Double?
    /// The analysis window's end.
    public var endTime: Double?
    /// Shortest segment, in seconds (`time_based_metadata`).
    public var minSegmentDuration: Double?
    /// Longest segment, in seconds (`time_based_metadata`).
    public var maxSegmentDuration: Double?

    /// Creates a value from its fields.
    public init(prompts: [String], temperature: Double? = nil, maxTokens: MaxTokens? = nil,
                responseFormat: ResponseFormat? = nil, customID: String? = nil, modelName: String? = nil) {
        self.prompts = prompts
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.responseFormat = responseFormat
        self.customID = customID
        self.modelName = modelName
    }

    /// A request with one prompt.
    public init(prompt: String, temperature: Double? = nil, maxTokens: MaxTokens? = nil,
                responseFormat: ResponseFormat? = nil, customID: String? = nil, modelName: String? = nil) {
        self.init(prompts: [prompt], temperature: temperature, maxTokens: maxTokens, responseFormat: responseFormat,
                  customID: customID, modelName: modelName)
    }

    /// The create requests for `video`, one per prompt (one without a prompt when there is none, so that
    /// validation names the missing prompt).
    public func createRequests(video: VideoContext) -> [CreateAsyncAnalyzeRequest] {
        let prompts: [String?] = self.prompts.isEmpty ? [nil] : self.prompts
        return prompts.enumerated().map { index, prompt in
            let withImages = !mediaSources.isEmpty && prompt != nil
            return CreateAsyncAnalyzeRequest(
                video: video, prompt: withImages ? nil : prompt, temperature: temperature, maxTokens: maxTokens,
                responseFormat: responseFormat, modelName: modelName,
                customID: customID.map { prompts.count > 1 ? "\($0)-\(index + 1)" : $0 },
                analysisMode: analysisMode, startTime: startTime, endTime: endTime,
                promptV2: withImages ? PromptV2(inputText: prompt!, mediaSources: mediaSources) : nil,
                minSegmentDuration: minSegmentDuration, maxSegmentDuration: maxSegmentDuration)
        }
    }
}
