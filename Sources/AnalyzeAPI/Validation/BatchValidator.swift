import PlatformRules

/// Checks a ``CreateAnalyzeBatchRequest`` before it is sent: the batch limits of ``PlatformRules`` (1–1,000
/// requests, at most 2,000 content hours, one model and mode, a `custom_id` unique within the batch), and
/// every item, as the single-task request it amounts to, with ``RequestValidator``.
///
/// Each issue names where the bad value is: `requests[3].max_tokens` when the item sets it,
/// `defaults.max_tokens` when it comes from the defaults (reported once, not once per item).
public struct BatchValidator: Sendable {
    /// The limits requests are checked against.
    public var policy: RequestPolicy

    /// A validator for `policy` (the platform's defaults when omitted).
    public init(policy: RequestPolicy = RequestPolicy()) {
        self.policy = policy
    }

    /// Every error and warning of `batch`, errors first.
    ///
    /// - Parameter contentSeconds: The duration of each request's asset, in seconds, in request order, when
    ///   known (a caller that probed the files, as ingest does). With them the content-hour limit is checked, and
    ///   an item whose analysed span is over 2 hours is warned about: the platform fails it alone.
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
                moved.field = location(of: issue.field, item: index, batch: batch)
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
                let spans = zip(batch.effectiveRequests, contentSeconds).map { request, duration in
                    Self.analysedSeconds(duration: duration, start: request.startTime, end: request.endTime)
                }
                let hours = spans.reduce(0, +) / 3600
                if hours > limits.maxContentHours {
                    error("requests", "batch_content_hours_exceeded",
                          "The batch holds \(Int(hours.rounded(.up))) content hours; the limit is \(Int(limits.maxContentHours)).")
                }
                let longest = Double(policy.rules.video.maxDurationMicroseconds) / 1_000_000
                for (index, span) in spans.enumerated() where span > longest {
                    issues.append(ValidationIssue(
                        severity: .warning, field: "requests[\(index)]", code: "item_duration_too_long",
                        message: "requests[\(index)] analyses \(Int(span)) s, over \(Int(longest)) s: the platform fails that item alone (video_duration_too_long). Give it a start_time/end_time window."))
                }
            }
        }
        return issues.filter { $0.severity == .error } + issues.filter { $0.severity == .warning }
    }

    /// The seconds an item analyses: its window within the video, or the whole video.
    public static func analysedSeconds(duration: Double, start: Double?, end: Double?) -> Double {
        guard start != nil || end != nil else { return duration }
        return max(0, min(end ?? duration, duration) - (start ?? 0))
    }

    /// Where a field of item `index`'s effective request lives in the batch body.
    private func location(of field: String, item index: Int, batch: CreateAnalyzeBatchRequest) -> String {
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
            let overrides = batch.requests[index].overrides
            let setByItem: Bool = switch name {
            case "prompt": overrides.prompt != nil
            case "response_format": overrides.responseFormat != nil
            case "temperature": overrides.temperature != nil
            case "max_tokens": overrides.maxTokens != nil
            case "min_segment_duration": overrides.minSegmentDuration != nil
            case "max_segment_duration": overrides.maxSegmentDuration != nil
            case "start_time": overrides.startTime != nil
            case "end_time": overrides.endTime != nil
            default: true
            }
            // A missing prompt is missing from both; it is the item's to give (or the defaults').
            let inDefaults = !setByItem && batch.defaults != nil
            return (inDefaults ? "defaults." : "requests[\(index)].") + name + rest
        }
    }
}
