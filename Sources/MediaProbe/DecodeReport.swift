/// The outcome of decoding a file's video stream to its end (the deep check).
public struct DecodeReport: Sendable, Codable, Hashable {
    /// What decoding found.
    public enum Outcome: String, Sendable, Codable, Hashable {
        /// Every packet decoded and the frames reach the declared duration.
        case ok
        /// The data ends (or stops being readable) before the duration the container declares.
        case truncated
        /// The decoder rejected the data or flagged frames as corrupt.
        case decodeFailed = "decode_failed"
        /// There is no video stream, or no decoder for it; nothing was decoded.
        case notDecodable = "not_decodable"
    }

    /// What decoding found.
    public var outcome: Outcome
    /// Frames the decoder produced.
    public var framesDecoded: Int
    /// End of the last good frame, in seconds from the start of the file.
    public var decodedSeconds: Double?
    /// The duration the container or stream declares, in seconds.
    public var declaredSeconds: Double?
    /// Where decoding broke, in seconds from the start of the file (for `truncated` and `decode_failed`).
    public var failedAtSeconds: Double?
    /// A plain sentence.
    public var message: String
    /// FFmpeg's last error or warning line while decoding, if any.
    public var ffmpegMessage: String?

    /// Creates a report.
    public init(outcome: Outcome, framesDecoded: Int, decodedSeconds: Double?, declaredSeconds: Double?,
                failedAtSeconds: Double?, message: String, ffmpegMessage: String?) {
        self.outcome = outcome
        self.framesDecoded = framesDecoded
        self.decodedSeconds = decodedSeconds
        self.declaredSeconds = declaredSeconds
        self.failedAtSeconds = failedAtSeconds
        self.message = message
        self.ffmpegMessage = ffmpegMessage
    }
}
