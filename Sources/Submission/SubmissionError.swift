public import AnalyzeAPI
public import Preflight

/// Every failure of a submission that is not an API answer: one type with a stable ``code``, a message and the
/// context to act on (the preflight report, the validation issues, the path).
///
/// API failures (HTTP errors, connection failures) surface as `APIError` unchanged.
public struct SubmissionError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable identifier.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file failed preflight; nothing was sent (see ``SubmissionError/report``).
        public static let preflightFailed = Code(rawValue: "preflight_failed")
        /// The request settings are invalid; nothing was sent (see ``SubmissionError/validationIssues``).
        public static let validationFailed = Code(rawValue: "validation_failed")
        /// The chosen or forced source cannot carry this video (too large for base64, a URL source forced to upload, …).
        public static let sourceNotPossible = Code(rawValue: "source_not_possible")
        /// A local file could not be read or changed while it was read.
        public static let fileUnreadable = Code(rawValue: "file_unreadable")
        /// The request could not be encoded.
        public static let encodingFailed = Code(rawValue: "encoding_failed")
        /// The uploaded asset's processing failed.
        public static let assetFailed = Code(rawValue: "asset_failed")
        /// The asset did not become ready in time.
        public static let assetTimedOut = Code(rawValue: "asset_timed_out")
        /// The multipart upload could not finish (a chunk kept failing, the session ended, the server's plan is inconsistent).
        public static let uploadFailed = Code(rawValue: "upload_failed")
        /// FFmpeg's libraries could not be loaded, so the file could not be checked; nothing was sent.
        public static let probeUnavailable = Code(rawValue: "probe_unavailable")
        /// The resume state file could not be written or read.
        public static let stateUnusable = Code(rawValue: "state_unusable")
    }

    /// The stable identifier.
    public var code: Code
    /// A readable explanation.
    public var message: String
    /// The local file concerned, if any.
    public var path: String?
    /// For ``Code/preflightFailed``: the report with every violation.
    public var report: Report?
    /// For ``Code/validationFailed``: every issue found.
    public var validationIssues: [ValidationIssue]
    /// The error behind this one.
    public var underlying: (any Error)?

    /// Creates a value from its fields.
    public init(_ code: Code, _ message: String, path: String? = nil, report: Report? = nil,
                validationIssues: [ValidationIssue] = [], underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.report = report
        self.validationIssues = validationIssues
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
