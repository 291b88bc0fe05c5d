public import AnalyzeAPI
public import Preflight

/// How a video reaches the platform.
public enum SourceKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Inline in the create request as base64 text.
    case base64
    /// One `multipart/form-data` asset upload.
    case direct
    /// A chunked upload to presigned URLs.
    case multipart
    /// A URL the platform fetches.
    case url
    /// An asset uploaded before.
    case assetID = "asset_id"
}

/// The source chosen for a submission and the rule that chose it.
public struct SourceDecision: Sendable, Hashable, Codable {
    /// The way the video is sent.
    public var kind: SourceKind
    /// Why, as a sentence fragment with the numbers.
    public var reason: String

    /// Creates a value from its fields.
    public init(kind: SourceKind, reason: String) {
        self.kind = kind
        self.reason = reason
    }
}

/// What a submission will do, decided before anything is sent (what `--dry-run` shows).
public struct SubmissionPlan: Sendable {
    /// Where the video comes from.
    public var source: SubmissionSource
    /// The chosen way to send it.
    public var decision: SourceDecision
    /// The preflight report, for a local file.
    public var report: Report?
    /// `true` when the file failed preflight and ``SubmitOptions/force`` sent it anyway.
    public var preflightOverridden: Bool
    /// The file's size, for a local file.
    public var fileSize: Int64?
    /// The validated settings, one request per prompt; their `video` is a stand-in until the upload is done.
    public var requests: [CreateAsyncAnalyzeRequest]
    /// Warnings from request validation (errors stop the submission before this plan exists).
    public var validationWarnings: [ValidationIssue]
}

/// One created task.
public struct SubmittedTask: Sendable {
    /// The prompt it asks.
    public var prompt: String?
    /// The create answer.
    public var reference: TaskReference
    /// How the wait ended, when ``SubmitOptions/wait`` was set.
    public var outcome: WaitOutcome?
}

/// What a submission did.
public struct SubmissionResult: Sendable {
    /// The plan it followed (source, reason, report).
    public var plan: SubmissionPlan
    /// The asset used, for an upload or an asset-id source.
    public var assetID: String?
    /// The asset as last seen after an upload.
    public var asset: Asset?
    /// For a multipart upload: chunks sent by this run and chunks resumed from an earlier one.
    public var multipart: MultipartUploadResult?
    /// The tasks, in prompt order.
    public var tasks: [SubmittedTask]
}
