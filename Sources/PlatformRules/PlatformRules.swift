/// The TwelveLabs platform's published rules, as data: written once here and read by preflight
/// (`Policy`), the client's request validation (`RequestValidator`), the sandbox's checks and `tl`'s
/// defaults, so that they cannot disagree. No I/O and no dependencies.
///
/// Sources: the vendor's OpenAPI contract for the analyze and assets paths (2026-07) and the official
/// Python SDK 1.3.6 (2026-10); where they differ, the note on the field says which one is followed.
public struct PlatformRules: Sendable, Hashable {
    /// The rules this build of VideoPreflight knows.
    public static let current = PlatformRules()

    /// The model a request without `model_name` gets. The contract says `pegasus1.2`; SDK 1.3.6 says
    /// `pegasus1.5`. The contract is followed.
    public var defaultModel = "pegasus1.2"

    /// The rules of each model, by `model_name`.
    public var models: [String: ModelRules] = [
        "pegasus1.2": ModelRules(
            name: "pegasus1.2", modes: ["general": ModeRules(maxTokens: 1...4096, defaultMaxTokens: 4096)],
            clipWindow: false, promptV2: false),
        "pegasus1.5": ModelRules(
            name: "pegasus1.5",
            modes: [
                "general": ModeRules(maxTokens: 512...98_304, defaultMaxTokens: 4096),
                "time_based_metadata": ModeRules(maxTokens: 2048...98_304, defaultMaxTokens: 32_768, segmentDefinitions: true),
            ],
            clipWindow: true, promptV2: true),
        "pegasus1.6": ModelRules(
            name: "pegasus1.6",
            modes: [
                "general": ModeRules(maxTokens: 512...98_304, defaultMaxTokens: 4096),
                "time_based_metadata": ModeRules(maxTokens: 2048...98_304, defaultMaxTokens: 32_768, unlimited: true, segmentDefinitions: true),
            ],
            clipWindow: true, promptV2: true),
    ]

    /// The analysis mode of a request without `analysis_mode`.
    public var defaultMode = "general"

    /// What a video must be (the default preflight policy).
    public var video = VideoLimits()

    /// How large a video may be for each way of sending it.
    public var sizes = SizeLimits()

    /// Limits of a create request's other fields.
    public var request = RequestLimits()

    /// Limits of `POST /analyze/batches`.
    public var batches = BatchLimits()

    /// `page_limit` of every list endpoint (tasks, assets, uploads, a session's chunks).
    public var pageLimit: ClosedRange<Int> = 1...50
    /// The `page_limit` a list request without one gets.
    public var defaultPageLimit = 10

    /// Every analysis mode some model has (what the task list's `analysis_mode` filter takes).
    public var analysisModes: Set<String> { Set(models.values.flatMap(\.modes.keys)) }

    /// Whether `mode` finds segments (``ModeRules/segmentDefinitions``) in any model that has it.
    public func findsSegments(_ mode: String) -> Bool {
        models.values.contains { $0.modes[mode]?.segmentDefinitions == true }
    }

    /// The rules of a model, `nil` for a name this build does not know.
    public func model(_ name: String?) -> ModelRules? {
        models[name ?? defaultModel]
    }

    /// Creates the current rules.
    public init() {}
}

/// One model's rules.
public struct ModelRules: Sendable, Hashable {
    /// The `model_name`.
    public var name: String
    /// Its analysis modes (`general`, `time_based_metadata`) and their `max_tokens` rules.
    public var modes: [String: ModeRules]
    /// Whether it takes an analysis window (`start_time`/`end_time`).
    public var clipWindow: Bool
    /// Whether it takes `prompt_v2` with reference images.
    public var promptV2: Bool

    /// Creates a value from its fields.
    public init(name: String, modes: [String: ModeRules], clipWindow: Bool, promptV2: Bool) {
        self.name = name
        self.modes = modes
        self.clipWindow = clipWindow
        self.promptV2 = promptV2
    }
}

/// The `max_tokens` rules of one model in one analysis mode.
public struct ModeRules: Sendable, Hashable {
    /// The allowed numeric `max_tokens`.
    public var maxTokens: ClosedRange<Int>
    /// What the platform uses when `max_tokens` is omitted.
    public var defaultMaxTokens: Int
    /// Whether `max_tokens: "unlimited"` is accepted.
    public var unlimited: Bool
    /// Whether the mode finds segments: it needs `response_format` `segment_definitions`, takes
    /// `min_segment_duration`/`max_segment_duration`, and needs no prompt. Otherwise a prompt is required
    /// and `response_format`, when given, is `json_schema`.
    public var segmentDefinitions: Bool

    /// Creates a value from its fields.
    public init(maxTokens: ClosedRange<Int>, defaultMaxTokens: Int, unlimited: Bool = false, segmentDefinitions: Bool = false) {
        self.maxTokens = maxTokens
        self.defaultMaxTokens = defaultMaxTokens
        self.unlimited = unlimited
        self.segmentDefinitions = segmentDefinitions
    }
}

/// What a video must be: the seed's rules, which stay the default preflight policy.
public struct VideoLimits: Sendable, Hashable {
    /// Shortest duration, in microseconds (4 s).
    public var minDurationMicroseconds: Int64 = 4_000_000
    /// Longest duration, in microseconds (2 h).
    public var maxDurationMicroseconds: Int64 = 7_200_000_000
    /// Longest file when an analysis window (`start_time`/`end_time`) clips it, in microseconds (4 h, SDK 1.3.5+);
    /// the window itself is then what must last 4 s–2 h.
    public var maxClippedFileMicroseconds: Int64 = 14_400_000_000
    /// Shortest allowed side, in stored pixels.
    public var minSide = 360
    /// Longest allowed long side.
    public var maxLongSide = 5184
    /// Longest allowed short side.
    public var maxShortSide = 2160
    /// The widest aspect ratio either way is `maxAspectNumerator:maxAspectDenominator` (12:5 = 2.4:1).
    public var maxAspectNumerator = 12
    /// See ``maxAspectNumerator``.
    public var maxAspectDenominator = 5
}

/// Size limits of each way of sending a video.
public struct SizeLimits: Sendable, Hashable {
    /// The most base64 text (encoded bytes) inline in a create request. Whether the platform's 30 MB
    /// counts the text or the raw bytes is not published: the text is counted, to be safe.
    public var inlineBase64Bytes: Int64 = 30_000_000
    /// The largest direct (`POST /assets`) upload.
    public var directUploadBytes: Int64 = 200_000_000
    /// The largest multipart upload.
    public var multipartBytes: Int64 = 10_000_000_000
    /// The longest video sent inline (base64), clipped or not (SDK 1.3.5+: base64 and HLS at most 2 h).
    public var inlineMaxDurationMicroseconds: Int64 = 7_200_000_000
}

/// Limits of a create request's fields other than `max_tokens`.
public struct RequestLimits: Sendable, Hashable {
    /// The most prompt tokens.
    public var maxPromptTokens = 2000
    /// Allowed `temperature`.
    public var temperature: ClosedRange<Double> = 0...1
    /// Allowed length of the analysis window `start_time`…`end_time`, in seconds (SDK 1.3.6: at least 1 s,
    /// at most 2 h; API.md's "clip ≥ 4 s" is older). Preflight judges a clip by it too.
    public var window: ClosedRange<Double> = 1...7200
    /// Allowed length of a `custom_id` (of `[A-Za-z0-9_-]`).
    public var customIDLength: ClosedRange<Int> = 1...64
    /// Reference images in one `prompt_v2` (or one segment definition).
    public var maxMediaSources = 4
    /// What a reference image given as a local file must be.
    public var images = ImageLimits()
    /// `segment_definitions` of one `time_based_metadata` request.
    public var segmentDefinitions: ClosedRange<Int> = 1...20
    /// The shortest `min_segment_duration` / `max_segment_duration`, in seconds.
    public var minSegmentSeconds: Double = 2
    /// The `type`s of a segment field.
    public var segmentFieldTypes: Set<String> = ["string", "boolean", "number", "integer", "array", "timestamp"]
    /// The `items.type`s of an `array` segment field.
    public var segmentItemTypes: Set<String> = ["string", "number", "boolean", "integer"]
    /// `segment_time_format` and a `timestamp` field's `format` (`seconds` is the default).
    public var segmentTimeFormats: Set<String> = ["seconds", "hh:mm:ss", "hh:mm:ss.fff"]
    /// Names a segment field may not have: the result's own keys.
    public var reservedSegmentFieldNames: Set<String> = ["start_time", "end_time", "metadata"]
}

/// What a reference image must be (API.md: the image limits of `pegasus1.6`, applied to every image).
public struct ImageLimits: Sendable, Hashable {
    /// The formats accepted, by name: `jpeg`, `png`, `webp`, `gif`, `bmp`.
    public var formats: Set<String> = ["jpeg", "png", "webp", "gif", "bmp"]
    /// The largest file, in bytes (20 MB).
    public var maxBytes: Int64 = 20_000_000
    /// The most pixels, width × height (16,777,216 = 4096 × 4096).
    public var maxPixels: Int64 = 16_777_216
}

/// Limits of a batch.
public struct BatchLimits: Sendable, Hashable {
    /// Requests in one batch.
    public var requests: ClosedRange<Int> = 1...1000
    /// Content hours in one batch, counted from the videos' (or clips') durations.
    public var maxContentHours: Double = 2000
    /// Batches pending or processing at once, per account.
    public var maxActive = 5
    /// The only model batches take.
    public var model = "pegasus1.5"
}
