/// How deep the deep check goes. Each mode catches less than the one before it, and costs less.
///
/// | damage | ``full`` | ``keyframes`` | ``packets`` |
/// |---|---|---|---|
/// | data cut short (a faststart MP4 cut at 30 %) | fails | fails | fails |
/// | damage inside a key frame | fails | fails | passes |
/// | damage inside a non-key frame | fails | passes | passes |
/// | timestamps going backwards, gaps, empty or oversized packets | passes | passes | fails |
public enum DecodeMode: String, Sendable, Codable, Hashable, CaseIterable {
    /// Decode every frame of the video stream (FFmpeg's frame and slice threads).
    case full
    /// Demux every packet but decode only key frames (`AVDISCARD_NONKEY`): damage in a key
    /// frame, and a cut anywhere, at a fraction of the cost.
    case keyframes
    /// Demux every packet without decoding: the packets must cover the declared duration with
    /// rising timestamps, no gap longer than ``DecodeOptions/gapThreshold``, no empty or
    /// oversized packet, and no demuxer error.
    case packets
}

/// Settings of one deep check.
public struct DecodeOptions: Sendable {
    /// What to decode.
    public var mode: DecodeMode
    /// Decoder threads; 0 lets FFmpeg choose (one per core, as the ffmpeg CLI does).
    public var threads: Int
    /// In ``DecodeMode/packets``: the longest allowed step between two packets' timestamps, in
    /// seconds; at least three frame intervals are always allowed.
    public var gapThreshold: Double
    /// Called now and then from the decoding thread with the fraction of the declared duration
    /// read so far (0...1).
    public var progress: (@Sendable (Double) -> Void)?

    /// Creates options; every parameter has the documented default.
    public init(mode: DecodeMode = .full, threads: Int = 0, gapThreshold: Double = 2,
                progress: (@Sendable (Double) -> Void)? = nil) {
        self.mode = mode
        self.threads = threads
        self.gapThreshold = gapThreshold
        self.progress = progress
    }
}

/// The outcome of the deep check of a file's video stream.
public struct DecodeReport: Sendable, Codable, Hashable {
    /// What the check found.
    public enum Outcome: String, Sendable, Codable, Hashable {
        /// Every packet (decoded, in the decoding modes) holds up and the data reaches the declared duration.
        case ok
        /// The data ends (or stops being readable) before the duration the container declares.
        case truncated
        /// The decoder rejected the data or flagged frames as corrupt.
        case decodeFailed = "decode_failed"
        /// The packets themselves are wrong: timestamps going backwards, a gap, an empty, oversized
        /// or corrupt-flagged packet (``DecodeMode/packets`` only).
        case invalidPackets = "invalid_packets"
        /// There is no video stream, or no decoder for it; nothing was decoded.
        case notDecodable = "not_decodable"
    }

    /// What the check found.
    public var outcome: Outcome
    /// How deep the check went.
    public var mode: DecodeMode
    /// Frames the decoder produced (0 in ``DecodeMode/packets``).
    public var framesDecoded: Int
    /// Packets of the video stream read.
    public var packetsRead: Int
    /// End of the last good frame (or packet, in the modes that do not decode every frame), in
    /// seconds from the start of the stream.
    public var decodedSeconds: Double?
    /// The duration the container or stream declares, in seconds.
    public var declaredSeconds: Double?
    /// Where the check broke, in seconds from the start of the stream (for failures).
    public var failedAtSeconds: Double?
    /// A plain sentence.
    public var message: String
    /// FFmpeg's last error or warning line during the check, if any.
    public var ffmpegMessage: String?

    /// Creates a report.
    public init(outcome: Outcome, mode: DecodeMode = .full, framesDecoded: Int, packetsRead: Int = 0,
                decodedSeconds: Double?, declaredSeconds: Double?,
                failedAtSeconds: Double?, message: String, ffmpegMessage: String?) {
        self.outcome = outcome
        self.mode = mode
        self.framesDecoded = framesDecoded
        self.packetsRead = packetsRead
        self.decodedSeconds = decodedSeconds
        self.declaredSeconds = declaredSeconds
        self.failedAtSeconds = failedAtSeconds
        self.message = message
        self.ffmpegMessage = ffmpegMessage
    }

    enum CodingKeys: String, CodingKey {
        case outcome, mode, message
        case framesDecoded = "frames_decoded", packetsRead = "packets_read"
        case decodedSeconds = "decoded_seconds", declaredSeconds = "declared_seconds"
        case failedAtSeconds = "failed_at_seconds", ffmpegMessage = "ffmpeg_message"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        outcome = try c.decode(Outcome.self, forKey: .outcome)
        mode = try c.decodeIfPresent(DecodeMode.self, forKey: .mode) ?? .full
        framesDecoded = try c.decode(Int.self, forKey: .framesDecoded)
        packetsRead = try c.decodeIfPresent(Int.self, forKey: .packetsRead) ?? 0
        decodedSeconds = try c.decodeIfPresent(Double.self, forKey: .decodedSeconds)
        declaredSeconds = try c.decodeIfPresent(Double.self, forKey: .declaredSeconds)
        failedAtSeconds = try c.decodeIfPresent(Double.self, forKey: .failedAtSeconds)
        message = try c.decode(String.self, forKey: .message)
        ffmpegMessage = try c.decodeIfPresent(String.self, forKey: .ffmpegMessage)
    }

    /// Every key is written, with `null` for an unknown value.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(mode, forKey: .mode)
        try c.encode(framesDecoded, forKey: .framesDecoded)
        try c.encode(packetsRead, forKey: .packetsRead)
        try c.encode(decodedSeconds, forKey: .decodedSeconds)
        try c.encode(declaredSeconds, forKey: .declaredSeconds)
        try c.encode(failedAtSeconds, forKey: .failedAtSeconds)
        try c.encode(message, forKey: .message)
        try c.encode(ffmpegMessage, forKey: .ffmpegMessage)
    }
}
