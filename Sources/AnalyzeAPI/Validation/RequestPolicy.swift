public import PlatformRules

/// The limits a create request is checked against before it is sent: the platform's rules
/// (``PlatformRules``, where `max_tokens` and the analysis window depend on the model and mode), plus
/// how strictly this client applies its prompt estimate.
public struct RequestPolicy: Sendable, Hashable {
    /// The platform's rules; `max_tokens`, `analysis_mode` and the analysis window are judged per model.
    public var rules: PlatformRules
    /// The most prompt tokens (by ``PromptTokenEstimate``) accepted.
    public var maxPromptTokens: Int
    /// Whether a prompt over ``maxPromptTokens`` is an error (`true`) or only a warning: the count is an
    /// estimate, so a caller who knows better can send the prompt and let the platform judge it.
    public var enforcesPromptLimit: Bool = true
    /// Warn when the estimate reaches this fraction of ``maxPromptTokens``.
    public var promptWarningFraction: Double = 0.9
    /// Allowed `temperature`.
    public var temperatureRange: ClosedRange<Double>
    /// The most base64 text (encoded bytes) accepted inline.
    public var maxBase64Bytes: Int
    /// Allowed length of the `start_time`…`end_time` window, in seconds.
    public var windowRange: ClosedRange<Double>

    /// The limits of `rules` (the current platform's when omitted).
    public init(rules: PlatformRules = .current) {
        self.rules = rules
        maxPromptTokens = rules.request.maxPromptTokens
        temperatureRange = rules.request.temperature
        maxBase64Bytes = Int(rules.sizes.inlineBase64Bytes)
        windowRange = rules.request.window
    }
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
