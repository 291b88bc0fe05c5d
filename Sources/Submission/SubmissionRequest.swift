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
            CreateAsyncAnalyzeRequest(
                video: video, prompt: prompt, temperature: temperature, maxTokens: maxTokens,
                responseFormat: responseFormat, modelName: modelName,
                customID: customID.map { prompts.count > 1 ? "\($0)-\(index + 1)" : $0 })
        }
    }
}
