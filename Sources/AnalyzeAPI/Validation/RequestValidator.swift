import PlatformRules

/// Checks a `CreateAsyncAnalyzeRequest` against a ``RequestPolicy`` the way the platform would, so a bad
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

        let modelName = request.modelName ?? policy.rules.defaultModel
        let mode = request.analysisMode ?? policy.rules.defaultMode
        let model = policy.rules.models[modelName]
        // A mode the model lacks is reported once (analysis_mode_not_supported); the rest is judged by what the
        // mode is wherever it exists, so that its consequences are not reported as further mistakes.
        let segments = model?.modes[mode]?.segmentDefinitions ?? policy.rules.findsSegments(mode)

        let hasPrompt = request.prompt.map { !$0.allSatisfy(\.isWhitespace) } ?? false
        if segments {
            if hasPrompt || request.promptV2 != nil {
                error(hasPrompt ? "prompt" : "prompt_v2", "prompt_not_allowed",
                      "analysis_mode time_based_metadata takes no prompt: say what to find in the segment definitions (they take reference images too).")
            }
        } else if let prompt = request.prompt, hasPrompt {
            issues += promptLength(prompt, field: "prompt")
            if request.promptV2 != nil {
                error("prompt_v2", "prompt_conflict", "Give prompt or prompt_v2, not both.")
            }
        } else if let promptV2 = request.promptV2 {
            if promptV2.inputText.allSatisfy(\.isWhitespace) {
                error("prompt_v2.input_text", "prompt_missing", "prompt_v2.input_text is empty.")
            } else {
                issues += promptLength(promptV2.inputText, field: "prompt_v2.input_text")
            }
            if let model, !model.promptV2 {
                error("prompt_v2", "prompt_v2_not_supported",
                      "\(modelName) takes no prompt_v2 (reference images); \(models { $0.promptV2 }) do.")
            }
            issues += mediaSourceIssues(promptV2.mediaSources ?? [], field: "prompt_v2.media_sources")
        } else {
            error("prompt", "prompt_missing", "A prompt is required.")
        }

        if let temperature = request.temperature, !policy.temperatureRange.contains(temperature) || temperature.isNaN {
            error("temperature", "temperature_out_of_range",
                  "Temperature \(temperature) is outside \(policy.temperatureRange.lowerBound)–\(policy.temperatureRange.upperBound).")
        }

        // max_tokens, the analysis mode and the window are the model's (PlatformRules).
        if let model {
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
                      "\(modelName) has no analysis mode \(mode); it has \(model.modes.keys.sorted().joined(separator: ", ")), and \(models { $0.modes[mode] != nil }) have \(mode).")
            }
            if !model.clipWindow, request.startTime != nil || request.endTime != nil {
                error("start_time", "time_window_not_supported",
                      "\(modelName) takes no analysis window (start_time, end_time); \(models { $0.clipWindow }) do.")
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
            } else if let end = request.endTime, request.startTime != nil {
                // An omitted start_time is the video's own start, unknown here: only a window with both ends has a known length.
                let window = end - start
                if !(window >= policy.windowRange.lowerBound && window <= policy.windowRange.upperBound) {
                    error("end_time", "time_window_invalid",
                          "The window start_time…end_time must last \(Int(policy.windowRange.lowerBound)) s to \(Int(policy.windowRange.upperBound)) s.")
                }
            }
        }

        for (field, value) in [("min_segment_duration", request.minSegmentDuration), ("max_segment_duration", request.maxSegmentDuration)] {
            guard let value else { continue }
            if !segments {
                error(field, "segment_duration_not_allowed", "\(field) applies only to an analysis_mode that finds segments (time_based_metadata).")
            } else if !(value >= policy.rules.request.minSegmentSeconds) {
                error(field, "segment_duration_invalid", "\(field) must be at least \(Int(policy.rules.request.minSegmentSeconds)) s.")
            }
        }
        if let low = request.minSegmentDuration, let high = request.maxSegmentDuration, high < low {
            error("max_segment_duration", "segment_duration_invalid", "max_segment_duration must be at least min_segment_duration.")
        }

        switch request.responseFormat {
        case let format? where format.type == ResponseFormat.jsonSchemaType:
            if segments {
                error("response_format.type", "response_format_mode_mismatch",
                      "analysis_mode time_based_metadata takes response_format segment_definitions, not json_schema.")
            }
            if let schema = format.jsonSchema {
                issues += SchemaLint.issues(in: schema, field: "response_format.json_schema")
            } else {
                error("response_format.json_schema", "response_format_schema_missing", "response_format json_schema needs a json_schema.")
            }
        case let format? where format.type == ResponseFormat.segmentDefinitionsType:
            if !segments {
                error("response_format.type", "response_format_mode_mismatch",
                      "response_format segment_definitions needs analysis_mode time_based_metadata.")
            }
            issues += segmentIssues(format, windowed: request.startTime != nil || request.endTime != nil,
                                    segmentDurations: request.minSegmentDuration != nil || request.maxSegmentDuration != nil)
        case let format?:
            error("response_format.type", "response_format_type_unknown",
                  "response_format.type must be \"json_schema\" or \"segment_definitions\"; got \"\(format.type)\".")
        case nil:
            if segments {
                error("response_format", "response_format_required",
                      "analysis_mode time_based_metadata needs response_format segment_definitions.")
            }
        }
        if let model, model.modes[mode] == nil {
            // The mode is the mistake; what it would require of the prompt and the format is not reported too.
            let consequences: Set<String> = ["prompt_missing", "prompt_not_allowed", "response_format_required",
                                             "response_format_mode_mismatch", "segment_duration_not_allowed"]
            issues.removeAll { consequences.contains($0.code) }
        }
        return issues.filter { $0.severity == .error } + issues.filter { $0.severity == .warning }
    }

    /// The names of the models that `have` something, for messages: "pegasus1.5, pegasus1.6".
    private func models(_ have: (ModelRules) -> Bool) -> String {
        policy.rules.models.values.filter(have).map(\.name).sorted().joined(separator: ", ")
    }

    private func promptLength(_ prompt: String, field: String) -> [ValidationIssue] {
        let tokens = PromptTokenEstimate.tokens(in: prompt)
        if tokens > policy.maxPromptTokens {
            let message = "The prompt is about \(tokens) tokens (estimated as \(PromptTokenEstimate.basis(of: prompt))); the limit is \(policy.maxPromptTokens)."
            if policy.enforcesPromptLimit {
                return [ValidationIssue(severity: .error, field: field, code: "prompt_too_long", message: message)]
            }
            return [ValidationIssue(severity: .warning, field: field, code: "prompt_too_long", message: message + " Sent anyway: the limit is not enforced.")]
        }
        if Double(tokens) >= Double(policy.maxPromptTokens) * policy.promptWarningFraction {
            return [ValidationIssue(
                severity: .warning, field: field, code: "prompt_near_limit",
                message: "The prompt is about \(tokens) tokens (conservative estimate), close to the \(policy.maxPromptTokens)-token limit.")]
        }
        return []
    }

    /// At most ``RequestLimits/maxMediaSources`` images, each with a unique non-empty name and a non-empty source.
    func mediaSourceIssues(_ sources: [MediaSource], field: String) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let limit = policy.rules.request.maxMediaSources
        if sources.count > limit {
            issues.append(ValidationIssue(severity: .error, field: field, code: "media_sources_too_many",
                                          message: "At most \(limit) media sources; got \(sources.count)."))
        }
        var names: Set<String> = []
        for (index, source) in sources.enumerated() {
            let at = "\(field)[\(index)]"
            if source.name.isEmpty {
                issues.append(ValidationIssue(severity: .error, field: at + ".name", code: "media_source_name_missing", message: "A media source needs a name."))
            } else if !names.insert(source.name).inserted {
                issues.append(ValidationIssue(severity: .error, field: at + ".name", code: "media_source_name_duplicate",
                                              message: "The media source name \(source.name) is used twice."))
            }
            if source.mediaType != "image" {
                issues.append(ValidationIssue(severity: .error, field: at + ".media_type", code: "media_type_unknown",
                                              message: "media_type must be image; got \(source.mediaType)."))
            }
            let text: String
            switch source.source {
            case .url(let value), .assetID(let value), .base64String(let value): text = value
            }
            if text.isEmpty {
                issues.append(ValidationIssue(severity: .error, field: at, code: "media_source_empty", message: "The media source \(source.name) is empty."))
            }
        }
        return issues
    }

    private func segmentIssues(_ format: ResponseFormat, windowed: Bool, segmentDurations: Bool) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func error(_ field: String, _ code: String, _ message: String) {
            issues.append(ValidationIssue(severity: .error, field: field, code: code, message: message))
        }
        let rules = policy.rules.request
        let definitions = format.segmentDefinitions ?? []
        if !rules.segmentDefinitions.contains(definitions.count) {
            error("response_format.segment_definitions", "segment_definitions_count",
                  "segment_definitions must hold \(rules.segmentDefinitions.lowerBound)–\(rules.segmentDefinitions.upperBound) definitions; got \(definitions.count).")
        }
        if let timeFormat = format.segmentTimeFormat, !rules.segmentTimeFormats.contains(timeFormat) {
            error("response_format.segment_time_format", "segment_time_format_unknown",
                  "segment_time_format must be one of \(rules.segmentTimeFormats.sorted().joined(separator: ", ")); got \(timeFormat).")
        }
        var ids: Set<String> = []
        for (index, definition) in definitions.enumerated() {
            let at = "response_format.segment_definitions[\(index)]"
            if definition.id.isEmpty {
                error(at + ".id", "segment_definition_id_missing", "A segment definition needs an id.")
            } else if !ids.insert(definition.id).inserted {
                error(at + ".id", "segment_definition_id_duplicate", "The segment definition id \(definition.id) is used twice.")
            }
            if definition.description.allSatisfy(\.isWhitespace) {
                error(at + ".description", "segment_definition_description_missing", "The segment definition \(definition.id) needs a description.")
            }
            for (number, field) in definition.fields.enumerated() {
                let fieldAt = at + ".fields[\(number)]"
                if field.name.isEmpty { error(fieldAt + ".name", "segment_field_name_missing", "A segment field needs a name.") }
                if rules.reservedSegmentFieldNames.contains(field.name) {
                    error(fieldAt + ".name", "segment_field_name_reserved", "\(field.name) is a name the result uses itself (\(rules.reservedSegmentFieldNames.sorted().joined(separator: ", "))).")
                }
                if (field.description ?? "").allSatisfy(\.isWhitespace) {
                    error(fieldAt + ".description", "segment_field_description_missing", "The segment field \(field.name) needs a description.")
                }
                if field.type == "timestamp", field.format == nil {
                    error(fieldAt + ".format", "segment_field_format_missing", "A timestamp field needs a format: \(rules.segmentTimeFormats.sorted().joined(separator: ", ")).")
                }
                if !rules.segmentFieldTypes.contains(field.type) {
                    error(fieldAt + ".type", "segment_field_type_unknown",
                          "type must be one of \(rules.segmentFieldTypes.sorted().joined(separator: ", ")); got \(field.type).")
                }
                if let format = field.format, field.type != "timestamp" || !rules.segmentTimeFormats.contains(format) {
                    error(fieldAt + ".format", "segment_field_format_invalid",
                          "format is for timestamp fields, one of \(rules.segmentTimeFormats.sorted().joined(separator: ", ")).")
                }
                if field.type == "array", !rules.segmentItemTypes.contains(field.itemType ?? "") {
                    error(fieldAt + ".items.type", "segment_field_items_invalid",
                          "An array field needs items.type, one of \(rules.segmentItemTypes.sorted().joined(separator: ", ")).")
                }
            }
            issues += mediaSourceIssues(definition.mediaSources ?? [], field: at + ".media_sources")
            let ranges = definition.timeRanges ?? []
            for (number, range) in ranges.enumerated() {
                let rangeAt = at + ".time_ranges[\(number)]"
                if windowed {
                    error(rangeAt, "time_ranges_with_window", "time_ranges cannot be combined with start_time/end_time.")
                } else if !(range.startTime >= 0 && range.endTime - range.startTime >= rules.minSegmentSeconds) {
                    error(rangeAt, "time_range_invalid", "A time range needs 0 ≤ start_time and a length of at least \(Int(rules.minSegmentSeconds)) s.")
                } else if ranges[..<number].contains(where: { $0.startTime < range.endTime && range.startTime < $0.endTime }) {
                    error(rangeAt, "time_ranges_overlap", "The time ranges of one definition must not overlap.")
                }
            }
            if !ranges.isEmpty, segmentDurations {
                error(at + ".time_ranges", "time_ranges_with_segment_durations",
                      "time_ranges cannot be combined with min_segment_duration/max_segment_duration.")
            }
        }
        return issues
    }

    /// `true` for 1–64 (``RequestLimits/customIDLength``) characters of `[A-Za-z0-9_-]`.
    public static func isValidCustomID(_ text: String) -> Bool {
        PlatformRules.current.request.customIDLength.contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
