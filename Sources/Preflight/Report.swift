public import MediaProbe
public import PlatformRules

/// The verdict on one file: every violation, advisory warnings, the facts, and how to send it.
public struct Report: Sendable, Hashable, Codable {
    /// The path as given.
    public var path: String
    /// True when there are no violations, and, in a report ``judged(strict:)`` strictly, no warnings.
    public var ok: Bool { violations.isEmpty && !(warningsFail && !warnings.isEmpty) }
    /// Whether warnings count as failures in this report (set by ``judged(strict:)``; not encoded:
    /// its effect is in `ok` and `source`).
    public var warningsFail = false
    /// Everything that makes the platform refuse the file, in a stable order.
    public var violations: [Violation]
    /// Advisory findings that do not fail the file.
    public var warnings: [Warning]
    /// What the probe found; `nil` when the file could not be probed.
    public var media: MediaSummary?
    /// How the file would be sent; present only when the file passes.
    public var source: SourcePlan?
    /// The deep check's findings, when it ran.
    public var decode: DecodeReport?
    /// The analysis window judged, when one was given.
    public var clip: ClipWindow?
    /// What the platform bills: the clip's length, or the whole duration; `nil` when the duration is unknown.
    public var billableSeconds: Double?

    /// Creates a report.
    public init(path: String, violations: [Violation], warnings: [Warning] = [], media: MediaSummary? = nil,
                source: SourcePlan? = nil, decode: DecodeReport? = nil, clip: ClipWindow? = nil) {
        self.clip = clip
        self.path = path
        self.violations = violations
        self.warnings = warnings
        self.media = media
        self.source = source
        self.decode = decode
    }

    /// Whether the video may be sent inline (base64): not a clipped video longer than inline videos may
    /// be (`PlatformRules` `sizes.inlineMaxDurationMicroseconds`, 2 h), which only an upload may carry.
    public func allowsInline(rules: PlatformRules = .current) -> Bool {
        guard clip != nil, let seconds = media?.durationSeconds else { return true }
        return seconds * 1_000_000 <= Double(rules.sizes.inlineMaxDurationMicroseconds)
    }

    /// Whether the file passes: no violations and, when `strict`, no warnings either.
    public func passes(strict: Bool) -> Bool { ok && (!strict || warnings.isEmpty) }

    /// This report with warnings counted as failures when `strict` (`tl preflight --strict`): a file
    /// with warnings is then not `ok` and has no source plan, so the JSON, the table and the exit
    /// status all say the same thing.
    public func judged(strict: Bool) -> Report {
        guard strict else { return self }
        var judged = self
        judged.warningsFail = true
        if !judged.ok { judged.source = nil }
        return judged
    }

    enum CodingKeys: String, CodingKey {
        case path, ok, violations, warnings, media, source, decode, clip
        case billableSeconds = "billable_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        violations = try c.decode([Violation].self, forKey: .violations)
        warnings = try c.decodeIfPresent([Warning].self, forKey: .warnings) ?? []
        media = try c.decodeIfPresent(MediaSummary.self, forKey: .media)
        source = try c.decodeIfPresent(SourcePlan.self, forKey: .source)
        decode = try c.decodeIfPresent(DecodeReport.self, forKey: .decode)
        clip = try c.decodeIfPresent(ClipWindow.self, forKey: .clip)
        billableSeconds = try c.decodeIfPresent(Double.self, forKey: .billableSeconds)
    }

    /// Encodes every key, with `null` for absent values, so consumers see a fixed shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(ok, forKey: .ok)
        try c.encode(violations, forKey: .violations)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(media, forKey: .media)
        try c.encode(source, forKey: .source)
        if let decode { try c.encode(decode, forKey: .decode) }
        try c.encode(clip, forKey: .clip)
        try c.encode(billableSeconds.map { ($0 * 1000).rounded() / 1000 }, forKey: .billableSeconds)
    }
}

/// One reason the platform would refuse a file.
public struct Violation: Sendable, Hashable, Codable {
    /// Stable code, e.g. `duration_too_short` (the full list is in the README).
    public var code: ViolationCode
    /// A plain sentence for people.
    public var message: String
    /// The measured value, when there is one.
    public var actual: Measure?
    /// The limit it broke, when there is one.
    public var limit: Measure?

    /// Creates a violation.
    public init(code: ViolationCode, message: String, actual: Measure? = nil, limit: Measure? = nil) {
        self.code = code
        self.message = message
        self.actual = actual
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey { case code, message, actual, limit }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
        try c.encode(actual, forKey: .actual)
        try c.encode(limit, forKey: .limit)
    }
}

/// An advisory finding: the platform takes the file, but the result may suffer.
public struct Warning: Sendable, Hashable, Codable {
    /// Stable code, e.g. `variable_frame_rate`.
    public var code: WarningCode
    /// A plain sentence for people.
    public var message: String

    /// Creates a warning.
    public init(code: WarningCode, message: String) {
        self.code = code
        self.message = message
    }
}

/// A measured value or limit: a number (encoded as a JSON integer when whole) or a text such as `"359x360"`.
public enum Measure: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A number, e.g. seconds or bytes.
    case number(Double)
    /// A text, e.g. `"359x360"`.
    case text(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let number = try? c.decode(Double.self) { self = .number(number) } else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 { try c.encode(Int64(value)) } else { try c.encode(value) }
        case .text(let text):
            try c.encode(text)
        }
    }

    public var description: String {
        switch self {
        case .number(let value): value.rounded() == value && abs(value) < 9e15 ? String(Int64(value)) : String(value)
        case .text(let text): text
        }
    }
}

/// The facts of a file in the report's stable JSON shape (snake_case keys, `null` when unknown).
public struct MediaSummary: Sendable, Hashable, Codable {
    /// FFmpeg's demuxer name.
    public var container: String
    /// Duration in seconds; `null` when unknown.
    public var durationSeconds: Double?
    /// `container`, `stream`, `packets` or `bitrate`: how the duration was obtained.
    public var durationSource: String?
    /// Start time of the file in seconds.
    public var startTimeSeconds: Double?
    /// Stored (coded) width in pixels: what the resolution limits apply to.
    public var width: Int?
    /// Stored (coded) height in pixels.
    public var height: Int?
    /// Width as displayed (sample aspect ratio, then rotation applied).
    public var displayWidth: Int?
    /// Height as displayed.
    public var displayHeight: Int?
    /// Clockwise display rotation: 0, 90, 180 or 270.
    public var rotationDegrees: Int?
    /// Sample aspect ratio as `num:den`.
    public var sampleAspectRatio: String?
    /// Stored width / height, rounded to 4 decimals (the ratio the policy checks).
    public var aspectRatio: Double?
    /// Video codec name (`none` when FFmpeg does not know it).
    public var videoCodec: String?
    /// Whether this FFmpeg can decode the video codec.
    public var decodable: Bool?
    /// Average frame rate (frames per second).
    public var frameRate: Double?
    /// Nominal ("real base") frame rate.
    public var nominalFrameRate: Double?
    /// Pixel format, e.g. `yuv420p`.
    public var pixelFormat: String?
    /// `progressive`, `tt`, `bb`, `tb` or `bt`.
    public var fieldOrder: String?
    /// Colour transfer characteristic, e.g. `smpte2084` (PQ).
    public var colorTransfer: String?
    /// Overall bit rate in bits per second.
    public var bitRate: Int64?
    /// File size in bytes.
    public var sizeBytes: Int64
    /// Number of audio streams.
    public var audioStreams: Int

    /// Summarises a probe result.
    public init(_ info: MediaInfo) {
        container = info.container
        durationSeconds = info.durationSeconds
        durationSource = info.durationSource?.rawValue
        startTimeSeconds = info.startTimeSeconds
        let video = info.video
        width = video?.width
        height = video?.height
        displayWidth = video?.displayWidth
        displayHeight = video?.displayHeight
        rotationDegrees = video?.rotationDegrees
        sampleAspectRatio = video.map { "\($0.sampleAspectRatio.numerator):\($0.sampleAspectRatio.denominator)" }
        if let video, video.width > 0, video.height > 0 {
            aspectRatio = (Double(video.width) / Double(video.height) * 10_000).rounded() / 10_000
        }
        videoCodec = video?.codec
        decodable = video?.decodable
        frameRate = video?.averageFrameRate?.value.map { ($0 * 1000).rounded() / 1000 }
        nominalFrameRate = video?.nominalFrameRate?.value.map { ($0 * 1000).rounded() / 1000 }
        pixelFormat = video?.pixelFormat
        fieldOrder = video?.fieldOrder
        colorTransfer = video?.colorTransfer
        bitRate = info.bitRate
        sizeBytes = info.sizeBytes
        audioStreams = info.audioStreams
    }

    enum CodingKeys: String, CodingKey {
        case container, width, height, decodable
        case durationSeconds = "duration_seconds", durationSource = "duration_source", startTimeSeconds = "start_time_seconds"
        case displayWidth = "display_width", displayHeight = "display_height", rotationDegrees = "rotation_degrees"
        case sampleAspectRatio = "sample_aspect_ratio", aspectRatio = "aspect_ratio", videoCodec = "video_codec"
        case frameRate = "frame_rate", nominalFrameRate = "nominal_frame_rate", pixelFormat = "pixel_format"
        case fieldOrder = "field_order", colorTransfer = "color_transfer", bitRate = "bit_rate"
        case sizeBytes = "size_bytes", audioStreams = "audio_streams"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(container, forKey: .container)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(durationSource, forKey: .durationSource)
        try c.encode(startTimeSeconds, forKey: .startTimeSeconds)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(displayWidth, forKey: .displayWidth)
        try c.encode(displayHeight, forKey: .displayHeight)
        try c.encode(rotationDegrees, forKey: .rotationDegrees)
        try c.encode(sampleAspectRatio, forKey: .sampleAspectRatio)
        try c.encode(aspectRatio, forKey: .aspectRatio)
        try c.encode(videoCodec, forKey: .videoCodec)
        try c.encode(decodable, forKey: .decodable)
        try c.encode(frameRate, forKey: .frameRate)
        try c.encode(nominalFrameRate, forKey: .nominalFrameRate)
        try c.encode(pixelFormat, forKey: .pixelFormat)
        try c.encode(fieldOrder, forKey: .fieldOrder)
        try c.encode(colorTransfer, forKey: .colorTransfer)
        try c.encode(bitRate, forKey: .bitRate)
        try c.encode(sizeBytes, forKey: .sizeBytes)
        try c.encode(audioStreams, forKey: .audioStreams)
    }
}
