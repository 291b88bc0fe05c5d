import PlatformRules

/// How the sandbox's asset endpoints and its storage route behave (``SandboxConfiguration/uploads``).
///
/// Every default matches the platform's published limits, except the durations, which are short so that
/// development and tests run fast.
public struct UploadSettings: Sendable, Hashable {
    /// Time an uploaded asset spends `processing` before the inspector judges it (`ready` or `failed`).
    public var assetProcessing: Duration = .milliseconds(300)
    /// Largest video accepted by a direct `POST /assets` (200 MB); bigger files get 400 `video_file_too_large`.
    public var maxDirectBytes: Int64 = PlatformRules.current.sizes.directUploadBytes
    /// Bytes a direct upload's body may carry beyond ``maxDirectBytes`` (form fields, part headers, boundaries);
    /// a bigger body is refused with 413.
    public var directBodyOverhead: Int64 = 10_000_000
    /// Largest `total_size` of a multipart upload (10 GB).
    public var maxMultipartBytes: Int64 = PlatformRules.current.sizes.multipartBytes
    /// Bytes per chunk of a multipart upload (the last chunk may be shorter); 5 MiB.
    public var chunkSize: Int64 = 5_242_880
    /// Presigned URLs listed in the answer that creates a multipart upload; clients ask for the rest.
    public var initialURLCount: Int = 20
    /// Lifetime of a presigned URL, on the sandbox clock (one hour).
    public var urlLifetime: Duration = .seconds(3600)
    /// Lifetime of a multipart upload session, on the sandbox clock (24 hours).
    public var sessionLifetime: Duration = .seconds(86_400)
    /// Headers announced as `upload_headers` for every chunk `PUT`.
    public var uploadHeaders: [String: String] = ["x-sandbox-upload": "1"]
    /// Whether a chunk `PUT` without ``uploadHeaders`` gets 403 (a strict mode for testing clients).
    /// Off by default: the platform's own Python SDK `PUT`s chunks with only
    /// `Content-Type: application/octet-stream` and ignores `upload_headers`, and the storage route
    /// must take what the platform's SDK sends.
    public var requiresUploadHeaders: Bool = false
    /// Seeded random faults for chunk `PUT`s on the storage route, separate from the API's
    /// ``SandboxConfiguration/faults``. Drawn after the URL and headers are checked: `server-error` answers
    /// 500/502/503 either before the chunk is stored (the URL stays usable) or after (stored and the URL spent);
    /// `rate-limited` answers 503 `SlowDown` with `Retry-After: 1` before storing; `drop` stores the chunk, spends
    /// the URL and closes the connection unanswered; `delay` holds the answer for the faults' delay.
    public var storageFaults: FaultInjection = FaultInjection()
    /// How long every chunk `PUT` is held, on the sandbox clock, after its body is received and before it is
    /// stored and answered (zero: not held). Lets a test stop a client in the middle of an upload.
    public var chunkDelay: Duration = .zero

    /// Settings with every default.
    public init() {}
}
