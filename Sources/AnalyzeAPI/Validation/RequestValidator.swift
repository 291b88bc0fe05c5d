import PlatformRules

/// Checks a ``CreateAsyncAnalyzeRequest`` against a ``RequestPolicy`` the way the platform would, so a bad
/// request fails locally with the field named instead of after a round trip.
public struct RequestValidator: Sendable {
    /// The limits requests are checked against.
    public var policy: RequestPolicy

    /// A validator for `policy` (the platform's defaults when omitted).
    public init(policy: RequestPolicy = RequestPolicy()) {
        self.policy = policy
    }

    /// Every error and warning of `request`, errors first in field order.
    public func issues(in request: CreateAsyncAnalyzeRequest) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func error(_ field: String, _ code: String, _ message: String) {
            issues.append(ValidationIssue(severity: .error, field: field, code: code, message: message))
        }

        switch request.video {
        case .url(let url):
            if url.isEmpty { error("video.url", "video_url_empty", "The video URL is empty.") }
        case .assetID(let id):
            if id.isEmpty { error("video.asset_id", "video_asset_id_empty", "The asset id is empty.") }
        case .base64String(let text):
            if text.isEmpty {
                error("video.base64_string", "video_base64_empty", "The base64 video is empty.")
            } else if text.utf8.count > policy.maxBase64Bytes {
                error("video.base64_string", "video_base64_too_large",
                      "The base64 video is \(text.utf8.count) bytes; the limit is \(policy.maxBase64Bytes).")
            }
        }

        if let prompt = request.prompt, !prompt.allSatisfy(\.isWhitespace) {
            let tokens = PromptTokenEstimate.tokens(in: prompt)
            if tokens > policy.maxPromptTokens {
                let message = "The prompt is about \(tokens) tokens (estimated as \(PromptTokenEstimate.basis(of: prompt))); the limit is \(policy.maxPromptTokens)."
                if policy.enforcesPromptLimit {
                    error("prompt", "prompt_too_long", message)
                } else {
                    issues.append(ValidationIssue(severity: .warning, field: "prompt", code: "prompt_too_long", message: message + " Sent anyway: the limit is not enforced."))
                }
            } else if Double(tokens) >= Double(policy.maxPromptTokens) * policy.promptWarningFraction {
                issues.append(ValidationIssue(
                    severity: .warning, field: "prompt", code: "prompt_near_limit",
                    message: "The prompt is about \(tokens) tokens (conservative estimate), close to the \(policy.maxPromptTokens)-token limit."))
            }
        } else {
            error("prompt", "prompt_missing", "A prompt is required.")
        }

        if let temperature = request.temperature, !policy.temperatureRange.contains(temperature) || temperature.isNaN {
            error("temperature", "temperature_out_of_range",
                  "Temperature \(temperature) is outside \(policy.temperatureRange.lowerBound)–\(policy.temperatureRange.upperBound).")
        }

        // max_tokens, the analysis mode and the window are the model's (PlatformRules).
        let modelName = request.modelName ?? policy.rules.defaultModel
        let mode = request.analysisMode ?? policy.rules.defaultMode
        if let model = policy.rules.models[modelName] {
            if let modeRules = model.modes[mode] {
                switch request.maxTokens {
                case .count(let count) where !modeRules.maxTokens.contains(count):
                    error("max_tokens", "max_tokens_out_of_range",
                          "max_tokens \(count) is outside \(modeRules.maxTokens.lowerBound)–\(modeRules.maxTokens.upperBound) for \(modelName) (\(mode)).")
                case .unlimited where !modeRules.unlimited:
                    let allowed = policy.rules.models.values.flatMap { model in
                        model.modes.filter(\.value.unlimited).map { "\(model.name) \($0.key)" }
                    }.sorted()
                    error("max_tokens", "max_tokens_unlimited_not_allowed",
                          "max_tokens \"unlimited\" is not accepted by \(modelName) (\(mode)); only by \(allowed.joined(separator: ", ")).")
                default:
                    break
                }
            } else {
                error("analysis_mode", "analysis_mode_not_supported",
                      "\(modelName) has no analysis mode \(mode); it has \(model.modes.keys.sorted().joined(separator: ", ")).")
            }
            if !model.clipWindow, request.startTime != nil || request.endTime != nil {
                error("start_time", "time_window_not_supported", "\(modelName) takes no analysis window (start_time, end_time).")
            }
        } else {
            issues.append(ValidationIssue(
                severity: .warning, field: "model_name", code: "model_unknown",
                message: "The model \(modelName) is not in this client's rules (\(policy.rules.models.keys.sorted().joined(separator: ", "))); its max_tokens and mode are not checked."))
        }

        if let customID = request.customID, !Self.isValidCustomID(customID) {
            error("custom_id", "custom_id_invalid",
                  "custom_id must be 1–64 characters of A–Z, a–z, 0–9, '_' or '-'.")
        }

        if request.startTime != nil || request.endTime != nil {
            let start = request.startTime ?? 0
            if start < 0 || start.isNaN {
                error("start_time", "start_time_invalid", "start_time must be zero or more seconds.")
            } else if let end = request.endTime {
                let window = end - start
                if !(window >= policy.windowRange.lowerBound && window <= policy.windowRange.upperBound) {
                    error("end_time", "time_window_invalid",
                          "The window start_time…end_time must last \(Int(policy.windowRange.lowerBound)) s to \(Int(policy.windowRange.upperBound)) s.")
                }
            }
        }

        if let format = request.responseFormat {
            if format.type != "json_schema" {
                error("response_format.type", "response_format_type_unknown",
                      "response_format.type must be \"json_schema\".")
            }
            issues += SchemaLint.issues(in: format.jsonSchema, field: "response_format.json_schema")
        }
        return issues.filter { $0.severity == .error } + issues.filter { $0.severity == .warning }
    }

    /// `true` for 1–64 (``RequestLimits/customIDLength``) characters of `[A-Za-z0-9_-]`.
    public static func isValidCustomID(_ text: String) -> Bool {
        PlatformRules.current.request.customIDLength.contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
