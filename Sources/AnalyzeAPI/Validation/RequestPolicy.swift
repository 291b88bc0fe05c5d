/// The limits a create request is checked against before it is sent. Defaults are the platform's published
/// limits for the default model; newer models allow more `max_tokens` and `"unlimited"`.
public struct RequestPolicy: Sendable, Hashable {
    /// The most prompt tokens (by ``PromptTokenEstimate``) accepted.
    public var maxPromptTokens: Int = 2000
    /// Whether a prompt over ``maxPromptTokens`` is an error (`true`) or only a warning: the count is an
    /// estimate, so a caller who knows better can send the prompt and let the platform judge it.
    public var enforcesPromptLimit: Bool = true
    /// Warn when the estimate reaches this fraction of ``maxPromptTokens``.
    public var promptWarningFraction: Double = 0.9
    /// Allowed `temperature`.
    public var temperatureRange: ClosedRange<Double> = 0...1
    /// Allowed numeric `max_tokens`.
    public var maxTokensRange: ClosedRange<Int> = 1...4096
    /// Whether `max_tokens: "unlimited"` is accepted (newer models, segmentation).
    public var allowsUnlimitedMaxTokens: Bool = false
    /// The most base64 text (encoded bytes) accepted inline.
    public var maxBase64Bytes: Int = 30_000_000
    /// Allowed length of the `start_time`…`end_time` window, in seconds.
    public var windowRange: ClosedRange<Double> = 1...7200

    /// The platform's defaults.
    public init() {}

    /// Limits for the newer models: `max_tokens` up to 98,304 or `"unlimited"`.
    public static let extendedModels: RequestPolicy = {
        var policy = RequestPolicy()
        policy.maxTokensRange = 1...98_304
        policy.allowsUnlimitedMaxTokens = true
        return policy
    }()
}

/// A conservative estimate of how many tokens a prompt uses, without the model's tokenizer.
///
/// English text averages about four UTF-8 bytes per token; this counts one token per three bytes
/// (rounded up), or one per word when that is more, so it errs on the side of "too long".
public enum PromptTokenEstimate {
    /// The estimated token count of `text`.
    public static func tokens(in text: String) -> Int {
        max(byteTokens(text), words(text))
    }

    /// How the estimate of `text` was made: "the larger of 7,200 UTF-8 bytes ÷ 3 and 1,100 words".
    public static func basis(of text: String) -> String {
        "the larger of \(text.utf8.count) UTF-8 bytes ÷ 3 and \(words(text)) words"
    }

    private static func byteTokens(_ text: String) -> Int { (text.utf8.count + 2) / 3 }

    private static func words(_ text: String) -> Int {
        text.split(whereSeparator: { $0.isWhitespace || $0.isPunctuation }).count
    }
}
