import PlatformRules

/// Checks a `CreateAnalyzeBatchRequest` before it is sent: the batch limits of `PlatformRules` (1–1,000
/// requests, at most 2,000 content hours, one model and mode, a `custom_id` unique within the batch), and
/// every item, as the single-task request it amounts to, with ``RequestValidator``.
///
/// Each issue names where the bad value is: in `defaults` (reported once) for an item that sets none of
/// the settings itself, else in the item (`requests[3].max_tokens`), since it is the item's combination.
public struct BatchValidator: Sendable {
    /// The limits requests are checked against.
    public var policy: RequestPolicy

    /// A validator for `policy` (the platform's defaults when omitted).
    public init(policy: RequestPolicy = RequestPolicy()) {
        self.policy = policy
    }

    /// Every error and warning of `batch`, errors first.
    ///
    /// - Parameter contentSeconds: The seconds each request analyses, in request order, when known: its clip, or
    ///   the whole video (preflight's `billable_seconds`, for a caller that probed the files, as ingest does).
    ///   With them the content-hour limit is checked, and an item analysing more than the longest window
    ///   (2 hours) is warned about: the platform fails it alone.
    public func issues(in batch: CreateAnalyzeBatchRequest, contentSeconds: [Double]? = nil) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func error(_ field: String, _ code: String, _ message: String) {
            issues.append(ValidationIssue(severity: .error, field: field, code: code, message: message))
        }
        let limits = policy.rules.batches
        if !limits.requests.contains(batch.requests.count) {
            error("requests", "batch_size_invalid",
                  "A batch holds \(limits.requests.lowerBound)–\(limits.requests.upperBound) requests; this one has \(batch.requests.count).")
        }
        if batch.modelName != limits.model {
            error("model_name", "batch_model_unsupported", "Batches take model_name \(limits.model) only; got \(batch.modelName).")
        }
        var seen: [String: Int] = [:]
        for (index, item) in batch.requests.enumerated() {
            guard let id = item.customID else { continue }
            if let first = seen[id] {
                error("requests[\(index)].custom_id", "custom_id_duplicate",
                      "custom_id \(id) is already used by /requests/\(first); it must be unique within the batch.")
            } else {
                seen[id] = index
            }
        }

        let validator = RequestValidator(policy: policy)
        var reported: Set<String> = []
        for (index, request) in batch.effectiveRequests.enumerated() {
            for issue in validator.issues(in: request) {
                guard batch.modelName == limits.model || !["model_name", "analysis_mode"].contains(issue.field) else { continue }
                var moved = issue
                moved.field = location(of: issue, item: index, batch: batch)
                // The same fault in the defaults or the top level is one issue, not one per item.
                if reported.insert("\(moved.field)\u{0}\(moved.code)\u{0}\(moved.pointer ?? "")").inserted { issues.append(moved) }
            }
        }

        if let contentSeconds {
            if contentSeconds.count != batch.requests.count {
                issues.append(ValidationIssue(
                    severity: .warning, field: "requests", code: "content_seconds_mismatch",
                    message: "\(contentSeconds.count) durations were given for \(batch.requests.count) requests; content hours are not checked."))
            } else {
                let spans = contentSeconds
                let hours = spans.reduce(0, +) / 3600
                if hours > limits.maxContentHours {
                    error("requests", "batch_content_hours_exceeded",
                          "The batch holds \(Int(hours.rounded(.up))) content hours; the limit is \(Int(limits.maxContentHours)).")
                }
                let longest = policy.rules.request.window.upperBound
                for (index, span) in spans.enumerated() where span > longest {
                    issues.append(ValidationIssue(
                        severity: .warning, field: "requests[\(index)]", code: "item_duration_too_long",
                        message: "requests[\(index)] analyses \(Int(span)) s, over \(Int(longest)) s: the platform fails that item alone (video_duration_too_long). Give it a start_time/end_time window."))
                }
            }
        }
        return issues.filter { $0.severity == .error } + issues.filter { $0.severity == .warning }
    }

    /// Where an issue of item `index`'s effective request lives in the batch body: in `defaults` when the item
    /// sets none of the settings the issue involves (so it is the defaults' fault, reported once), else in the
    /// item (a window of its start and the defaults' end is the item's).
    private func location(of issue: ValidationIssue, item index: Int, batch: CreateAnalyzeBatchRequest) -> String {
        let field = issue.field
        let head = field.prefix { $0 != "." && $0 != "[" }
        let rest = field.dropFirst(head.count)
        switch head {
        case "model_name", "analysis_mode":
            return field
        case "video", "custom_id":
            return "requests[\(index)].\(field)"
        default:
            // The batch prompt has the prompt_v2 shape, under the name prompt.
            let name = head == "prompt_v2" ? "prompt" : String(head)
            let set = Self.settingsSet(by: batch.requests[index].overrides)
            let involved = [name] + (Self.alsoInvolved[issue.code] ?? [])
            let inDefaults = batch.defaults != nil && !involved.contains(where: set.contains)
            return (inDefaults ? "defaults." : "requests[\(index)].") + name + rest
        }
    }

    /// The other settings an issue of a code depends on, besides the field it names.
    private static let alsoInvolved: [String: [String]] = [
        "time_window_invalid": ["start_time", "end_time"],
        "segment_duration_invalid": ["min_segment_duration", "max_segment_duration"],
        "time_ranges_with_window": ["start_time", "end_time"],
        "time_ranges_with_segment_durations": ["min_segment_duration", "max_segment_duration"],
        "response_format_mode_mismatch": ["response_format"],
    ]

    /// The wire names of the settings `overrides` sets.
    private static func settingsSet(by overrides: BatchSettings) -> Set<String> {
        var names: Set<String> = []
        if overrides.prompt != nil { names.insert("prompt") }
        if overrides.responseFormat != nil { names.insert("response_format") }
        if overrides.temperature != nil { names.insert("temperature") }
        if overrides.maxTokens != nil { names.insert("max_tokens") }
        if overrides.minSegmentDuration != nil { names.insert("min_segment_duration") }
        if overrides.maxSegmentDuration != nil { names.insert("max_segment_duration") }
        if overrides.startTime != nil { names.insert("start_time") }
        if overrides.endTime != nil { names.insert("end_time") }
        return names
    }
}
