import PlatformRules
/// How a file that passes would be sent to the platform, and the rule that chose it.
public struct SourcePlan: Sendable, Hashable, Codable {
    /// The ways a video reaches the platform.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Inline in the create request as base64 text.
        case base64
        /// A single `multipart/form-data` asset upload.
        case direct
        /// A chunked multipart asset upload to presigned URLs.
        case multipart
        /// A URL the platform fetches itself.
        case url
    }

    /// The chosen way.
    public var kind: Kind
    /// The rule that chose it, as a sentence fragment with the numbers.
    public var reason: String
    /// Size of the base64 text for this file (`4 * ceil(n / 3)` bytes), when planned from a file.
    public var encodedBytes: Int64?

    /// Creates a plan.
    public init(kind: Kind, reason: String, encodedBytes: Int64? = nil) {
        self.kind = kind
        self.reason = reason
        self.encodedBytes = encodedBytes
    }

    enum CodingKeys: String, CodingKey { case kind, reason, encodedBytes = "encoded_bytes" }
}

/// Chooses the source for a file from its size and the policy's thresholds.
public enum Planner {
    /// The length of the base64 text for `bytes` raw bytes: `4 * ceil(n / 3)`.
    public static func base64Length(of bytes: Int64) -> Int64 { (bytes + 2) / 3 * 4 }

    /// Base64 when the encoded text fits the inline limit; a direct upload up to the direct
    /// limit; multipart above that up to the file-size limit; `nil` beyond it.
    ///
    /// - Parameter inline: `false` when the video may not go inline whatever its size (a clipped video over
    ///   2 h: base64 takes at most 2 h); the plan is then an upload.
    public static func plan(sizeBytes: Int64, policy: Policy = .platformDefault, inline: Bool = true) -> SourcePlan? {
        let encoded = base64Length(of: sizeBytes)
        if inline, encoded <= policy.maxInlineEncodedBytes {
            return SourcePlan(kind: .base64,
                              reason: "encoded size \(grouped(encoded)) bytes is within the \(grouped(policy.maxInlineEncodedBytes))-byte inline limit",
                              encodedBytes: encoded)
        }
        if !inline, sizeBytes <= policy.maxDirectUploadBytes {
            return SourcePlan(kind: .direct,
                              reason: "a video over \(PlatformRules.current.sizes.inlineMaxDurationMicroseconds / 1_000_000) s cannot be sent inline, even clipped; "
                                + "\(grouped(sizeBytes)) bytes is within the \(grouped(policy.maxDirectUploadBytes))-byte direct upload limit",
                              encodedBytes: encoded)
        }
        if sizeBytes <= policy.maxDirectUploadBytes {
            return SourcePlan(kind: .direct,
                              reason: "encoded size \(grouped(encoded)) bytes exceeds the \(grouped(policy.maxInlineEncodedBytes))-byte inline limit; "
                                + "\(grouped(sizeBytes)) bytes is within the \(grouped(policy.maxDirectUploadBytes))-byte direct upload limit",
                              encodedBytes: encoded)
        }
        if sizeBytes <= policy.maxFileBytes {
            return SourcePlan(kind: .multipart,
                              reason: "\(grouped(sizeBytes)) bytes exceeds the \(grouped(policy.maxDirectUploadBytes))-byte direct upload limit "
                                + "and is within the \(grouped(policy.maxFileBytes))-byte multipart limit",
                              encodedBytes: encoded)
        }
        return nil
    }

    /// `1234567` → `"1,234,567"`.
    public static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return value < 0 ? "-" + out : out
    }
}
