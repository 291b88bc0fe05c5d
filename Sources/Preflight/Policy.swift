public import Foundation
public import MediaProbe
public import PlatformRules

/// The platform's limits for async analysis, as data. ``Policy/platformDefault`` holds the
/// published values; every field can be changed in code or loaded from JSON (`--policy FILE`).
///
/// All bounds are inclusive. Durations are kept in whole microseconds and the aspect-ratio
/// bound as an exact fraction, so boundary files compare exactly.
public struct Policy: Sendable, Hashable, Codable {
    /// Shortest accepted duration, in microseconds (4 s).
    public var minDurationMicroseconds: Int64
    /// Longest accepted duration, in microseconds (2 h).
    public var maxDurationMicroseconds: Int64
    /// Smallest accepted width and height, in stored pixels (360).
    public var minSide: Int
    /// Largest accepted long side, in stored pixels (5184).
    public var maxLongSide: Int
    /// Largest accepted short side, in stored pixels (2160).
    public var maxShortSide: Int
    /// The widest accepted aspect ratio as an exact fraction (12/5 = 2.4); its inverse is the tallest.
    public var maxAspectRatio: Ratio
    /// Whether a video stream FFmpeg can decode is required.
    public var requireDecodableVideo: Bool
    /// Largest accepted file, in bytes (10 GB, the multipart maximum).
    public var maxFileBytes: Int64
    /// Largest base64 text sent inline, in bytes of encoded text (30,000,000).
    public var maxInlineEncodedBytes: Int64
    /// Largest file sent as a direct asset upload, in bytes (200 MB); larger files go multipart.
    public var maxDirectUploadBytes: Int64
    /// Frame rates outside `minFrameRate...maxFrameRate` draw the `unusual_frame_rate` warning.
    public var minFrameRate: Double
    /// See ``minFrameRate``.
    public var maxFrameRate: Double

    /// Creates a policy; every parameter defaults to the platform's published value (``PlatformRules``).
    public init(
        minDurationMicroseconds: Int64 = PlatformRules.current.video.minDurationMicroseconds,
        maxDurationMicroseconds: Int64 = PlatformRules.current.video.maxDurationMicroseconds,
        minSide: Int = PlatformRules.current.video.minSide,
        maxLongSide: Int = PlatformRules.current.video.maxLongSide,
        maxShortSide: Int = PlatformRules.current.video.maxShortSide,
        maxAspectRatio: Ratio = Ratio(PlatformRules.current.video.maxAspectNumerator, PlatformRules.current.video.maxAspectDenominator),
        requireDecodableVideo: Bool = true,
        maxFileBytes: Int64 = PlatformRules.current.sizes.multipartBytes,
        maxInlineEncodedBytes: Int64 = PlatformRules.current.sizes.inlineBase64Bytes,
        maxDirectUploadBytes: Int64 = PlatformRules.current.sizes.directUploadBytes,
        minFrameRate: Double = 5,
        maxFrameRate: Double = 120
    ) {
        self.minDurationMicroseconds = minDurationMicroseconds
        self.maxDurationMicroseconds = maxDurationMicroseconds
        self.minSide = minSide
        self.maxLongSide = maxLongSide
        self.maxShortSide = maxShortSide
        self.maxAspectRatio = maxAspectRatio
        self.requireDecodableVideo = requireDecodableVideo
        self.maxFileBytes = maxFileBytes
        self.maxInlineEncodedBytes = maxInlineEncodedBytes
        self.maxDirectUploadBytes = maxDirectUploadBytes
        self.minFrameRate = minFrameRate
        self.maxFrameRate = maxFrameRate
    }

    /// The platform's published limits.
    public static let platformDefault = Policy()

    /// Whether `width:height` lies within the aspect bounds, compared exactly in integers:
    /// `w * den <= num * h` and `h * den <= num * w` (for 2.4: `5w <= 12h` and `5h <= 12w`).
    public func aspectRatioAllowed(width: Int, height: Int) -> Bool {
        let num = Int64(maxAspectRatio.numerator), den = Int64(maxAspectRatio.denominator)
        let w = Int64(width), h = Int64(height)
        return w * den <= num * h && h * den <= num * w
    }

    // MARK: JSON (`--policy FILE`): keys in seconds and plain numbers; absent keys keep defaults.

    enum CodingKeys: String, CodingKey, CaseIterable {
        case minDurationSeconds = "min_duration_seconds"
        case maxDurationSeconds = "max_duration_seconds"
        case minSide = "min_side"
        case maxLongSide = "max_long_side"
        case maxShortSide = "max_short_side"
        case maxAspectRatio = "max_aspect_ratio"
        case requireDecodableVideo = "require_decodable_video"
        case maxFileBytes = "max_file_bytes"
        case maxInlineEncodedBytes = "max_inline_encoded_bytes"
        case maxDirectUploadBytes = "max_direct_upload_bytes"
        case minFrameRate = "min_frame_rate"
        case maxFrameRate = "max_frame_rate"
    }

    /// Decodes a policy from JSON; absent keys keep the platform defaults. `max_aspect_ratio`
    /// may be a number (`2.4`) or a string (`"12:5"`, `"12/5"`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Policy.platformDefault
        func micros(_ key: CodingKeys, _ fallback: Int64) throws -> Int64 {
            guard let seconds = try c.decodeIfPresent(Double.self, forKey: key) else { return fallback }
            guard seconds.isFinite, seconds >= 0, seconds < 1e12 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be a non-negative number of seconds")
            }
            return Int64((seconds * 1_000_000).rounded())
        }
        func positive<T: Decodable & Comparable & Numeric>(_ key: CodingKeys, _ fallback: T) throws -> T {
            guard let value = try c.decodeIfPresent(T.self, forKey: key) else { return fallback }
            guard value > 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be greater than zero")
            }
            return value
        }
        minDurationMicroseconds = try micros(.minDurationSeconds, d.minDurationMicroseconds)
        maxDurationMicroseconds = try micros(.maxDurationSeconds, d.maxDurationMicroseconds)
        minSide = try positive(.minSide, d.minSide)
        maxLongSide = try positive(.maxLongSide, d.maxLongSide)
        maxShortSide = try positive(.maxShortSide, d.maxShortSide)
        if let text = try? c.decodeIfPresent(String.self, forKey: .maxAspectRatio) {
            guard let ratio = Policy.parseRatio(text) else {
                throw DecodingError.dataCorruptedError(forKey: .maxAspectRatio, in: c, debugDescription: "must be \"W:H\", \"W/H\" or a number ≥ 1")
            }
            maxAspectRatio = ratio
        } else if let number = try c.decodeIfPresent(Double.self, forKey: .maxAspectRatio) {
            guard let ratio = Policy.fraction(number) else {
                throw DecodingError.dataCorruptedError(forKey: .maxAspectRatio, in: c, debugDescription: "must be a number ≥ 1")
            }
            maxAspectRatio = ratio
        } else {
            maxAspectRatio = d.maxAspectRatio
        }
        requireDecodableVideo = try c.decodeIfPresent(Bool.self, forKey: .requireDecodableVideo) ?? d.requireDecodableVideo
        maxFileBytes = try positive(.maxFileBytes, d.maxFileBytes)
        maxInlineEncodedBytes = try positive(.maxInlineEncodedBytes, d.maxInlineEncodedBytes)
        maxDirectUploadBytes = try positive(.maxDirectUploadBytes, d.maxDirectUploadBytes)
        minFrameRate = try c.decodeIfPresent(Double.self, forKey: .minFrameRate) ?? d.minFrameRate
        maxFrameRate = try positive(.maxFrameRate, d.maxFrameRate)
        guard minDurationMicroseconds <= maxDurationMicroseconds else {
            throw DecodingError.dataCorruptedError(forKey: .minDurationSeconds, in: c, debugDescription: "must not exceed max_duration_seconds")
        }
        guard minSide <= maxShortSide, maxShortSide <= maxLongSide else {
            throw DecodingError.dataCorruptedError(forKey: .minSide, in: c, debugDescription: "must not exceed max_short_side, which must not exceed max_long_side")
        }
    }

    /// Encodes the policy in the same JSON shape ``init(from:)`` reads.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Double(minDurationMicroseconds) / 1_000_000, forKey: .minDurationSeconds)
        try c.encode(Double(maxDurationMicroseconds) / 1_000_000, forKey: .maxDurationSeconds)
        try c.encode(minSide, forKey: .minSide)
        try c.encode(maxLongSide, forKey: .maxLongSide)
        try c.encode(maxShortSide, forKey: .maxShortSide)
        try c.encode("\(maxAspectRatio.numerator):\(maxAspectRatio.denominator)", forKey: .maxAspectRatio)
        try c.encode(requireDecodableVideo, forKey: .requireDecodableVideo)
        try c.encode(maxFileBytes, forKey: .maxFileBytes)
        try c.encode(maxInlineEncodedBytes, forKey: .maxInlineEncodedBytes)
        try c.encode(maxDirectUploadBytes, forKey: .maxDirectUploadBytes)
        try c.encode(minFrameRate, forKey: .minFrameRate)
        try c.encode(maxFrameRate, forKey: .maxFrameRate)
    }

    /// Parses `"12:5"`, `"12/5"` or `"2.4"` into an exact fraction ≥ 1.
    static func parseRatio(_ text: String) -> Ratio? {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "/" })
        if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a > 0, b > 0, a >= b, a <= 1_000_000, b <= 1_000_000 {
            return Ratio(a, b)
        }
        return Double(text).flatMap(fraction)
    }

    /// The decimal as a fraction: `2.4` → 12/5 (continued fractions, denominators ≤ 10,000).
    static func fraction(_ value: Double) -> Ratio? {
        guard value.isFinite, value >= 1, value <= 1_000_000 else { return nil }
        var (h0, h1, k0, k1) = (0, 1, 1, 0)
        var x = value
        for _ in 0..<32 {
            let a = Int(x.rounded(.down))
            let (h2, k2) = (a * h1 + h0, a * k1 + k0)
            if k2 > 10_000 { break }
            (h0, h1, k0, k1) = (h1, h2, k1, k2)
            let rest = x - Double(a)
            if abs(Double(h1) / Double(k1) - value) < 1e-9 || rest < 1e-12 { break }
            x = 1 / rest
        }
        return k1 > 0 ? Ratio(h1, k1) : nil
    }
}

/// A policy file that cannot be used, said in plain words: the key, what is wrong, and for an
/// unknown key the closest known one.
public struct PolicyFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The sentence, e.g. `unknown key 'min_duration_second' (did you mean 'min_duration_seconds'?)`.
    public var description: String
}

extension Policy {
    /// The keys a policy file may hold.
    public static var fileKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// Reads a policy file's JSON strictly: it must be one object, every key must be known (a typo
    /// such as `min_duration_second` would otherwise leave the default in force unnoticed), and
    /// every value must be of its kind. Absent keys keep the platform defaults.
    public static func decode(fileJSON data: Data) throws(PolicyFileError) -> Policy {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
                throw PolicyFileError(description: "it must be one JSON object, such as {\"max_duration_seconds\": 600}")
            }
            object = parsed
        } catch let error as PolicyFileError {
            throw error
        } catch {
            throw PolicyFileError(description: "it is not valid JSON")
        }
        let known = fileKeys
        for key in object.keys.sorted() where !known.contains(key) {
            let hint = Spelling.closest(key, among: known).map { " (did you mean '\($0)'?)" }
            throw PolicyFileError(description: "unknown key '\(key)'\(hint ?? "; the keys are \(known.joined(separator: ", "))")")
        }
        do {
            return try JSONDecoder().decode(Policy.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            throw PolicyFileError(description: "'\(context.codingPath.first?.stringValue ?? "?")' must be \(kind(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw PolicyFileError(description: "'\(context.codingPath.first?.stringValue ?? "?")' must be \(kind(type)), not null")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.first?.stringValue
            var detail = context.debugDescription
            while detail.hasSuffix(".") { detail.removeLast() }
            throw PolicyFileError(description: key.map { "'\($0)' \(detail)" } ?? detail)
        } catch {
            throw PolicyFileError(description: "it cannot be read as a policy")
        }
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        default: "a number"
        }
    }
}

/// Suggestions for mistyped names: policy keys here, subcommands in `tl`.
package enum Spelling {
    /// The candidate nearest to `word`: within an edit distance of a third of its length (at least 2),
    /// or one that starts with the other.
    package static func closest(_ word: String, among candidates: [String]) -> String? {
        let allowed = Swift.max(2, word.count / 3)
        return candidates.map { ($0, distance(word, $0)) }
            .filter { $0.1 <= allowed || $0.0.hasPrefix(word) || word.hasPrefix($0.0) }
            .min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance between `a` and `b`.
    package static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in a.indices {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for j in b.indices {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a[i] == b[j] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
