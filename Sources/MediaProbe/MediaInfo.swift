/// Everything the probe learned about one local media file, as a plain value.
///
/// Nothing of FFmpeg survives in it: it is `Sendable`, `Codable` and `Equatable`, so it can be
/// checked, stored or sent across tasks freely. Absent facts are `nil` rather than guessed.
public struct MediaInfo: Sendable, Codable, Hashable {
    /// The path that was probed, as given.
    public var path: String
    /// Size of the file in bytes (from `stat`, after following symlinks).
    public var sizeBytes: Int64
    /// FFmpeg's demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`.
    public var container: String
    /// Duration in whole microseconds; `nil` when it could not be determined.
    public var durationMicroseconds: Int64?
    /// How ``durationMicroseconds`` was obtained.
    public var durationSource: DurationSource?
    /// Presentation time of the first frame in seconds, when the container states one.
    public var startTimeSeconds: Double?
    /// Overall bit rate in bits per second, when known.
    public var bitRate: Int64?
    /// The best video stream (attached pictures excluded), or `nil` when there is none.
    public var video: VideoStreamInfo?
    /// Number of audio streams.
    public var audioStreams: Int

    /// Duration in seconds, derived from ``durationMicroseconds``.
    public var durationSeconds: Double? {
        durationMicroseconds.map { Double($0) / 1_000_000 }
    }

    /// Creates a value; tests and callers with their own facts can build one by hand.
    public init(
        path: String, sizeBytes: Int64, container: String,
        durationMicroseconds: Int64?, durationSource: DurationSource?,
        startTimeSeconds: Double? = nil, bitRate: Int64? = nil,
        video: VideoStreamInfo?, audioStreams: Int
    ) {
        self.path = path
        self.sizeBytes = sizeBytes
        self.container = container
        self.durationMicroseconds = durationMicroseconds
        self.durationSource = durationSource
        self.startTimeSeconds = startTimeSeconds
        self.bitRate = bitRate
        self.video = video
        self.audioStreams = audioStreams
    }
}

/// Where a duration came from, best first.
public enum DurationSource: String, Sendable, Codable, Hashable {
    /// The container's own duration field.
    case container
    /// The selected video stream's duration times its time base.
    case stream
    /// Recovered by reading every packet's timestamp to the end of the file (no decoding).
    case packets
    /// Estimated by FFmpeg from the bit rate and file size; may be far off.
    case bitrate
}

/// Facts about the selected video stream.
public struct VideoStreamInfo: Sendable, Codable, Hashable {
    /// Index of the stream in the container.
    public var index: Int
    /// FFmpeg's codec name, e.g. `h264`; `none` when FFmpeg does not know the codec.
    public var codec: String
    /// Whether this FFmpeg build has a decoder for the codec.
    public var decodable: Bool
    /// Coded (stored) width in pixels.
    public var width: Int
    /// Coded (stored) height in pixels.
    public var height: Int
    /// Sample (pixel) aspect ratio; 1:1 when the file states none.
    public var sampleAspectRatio: Ratio
    /// Clockwise rotation to apply for display, snapped to 0, 90, 180 or 270.
    public var rotationDegrees: Int
    /// Width as displayed: the sample aspect ratio applied, then rotated.
    public var displayWidth: Int
    /// Height as displayed: rotated when ``rotationDegrees`` is 90 or 270.
    public var displayHeight: Int
    /// Average frame rate (frames / duration), when known.
    public var averageFrameRate: Ratio?
    /// Nominal ("real base") frame rate: the lowest rate that represents all timestamps.
    public var nominalFrameRate: Ratio?
    /// Pixel format name, e.g. `yuv420p`.
    public var pixelFormat: String?
    /// Field order: `progressive`, `tt`, `bb`, `tb`, `bt`; `nil` when unknown.
    public var fieldOrder: String?
    /// Colour transfer characteristic name, e.g. `bt709`, `smpte2084` (PQ), `arib-std-b67` (HLG).
    public var colorTransfer: String?
    /// Number of frames the container declares for the stream, when it does.
    public var declaredFrames: Int64?
    /// Stream bit rate in bits per second, when known.
    public var bitRate: Int64?

    /// Creates a value.
    public init(
        index: Int, codec: String, decodable: Bool, width: Int, height: Int,
        sampleAspectRatio: Ratio = Ratio(1, 1), rotationDegrees: Int = 0,
        averageFrameRate: Ratio? = nil, nominalFrameRate: Ratio? = nil,
        pixelFormat: String? = nil, fieldOrder: String? = nil, colorTransfer: String? = nil,
        declaredFrames: Int64? = nil, bitRate: Int64? = nil
    ) {
        self.index = index
        self.codec = codec
        self.decodable = decodable
        self.width = width
        self.height = height
        self.sampleAspectRatio = sampleAspectRatio
        self.rotationDegrees = rotationDegrees
        let size = Self.displaySize(width: width, height: height, sar: sampleAspectRatio, rotation: rotationDegrees)
        self.displayWidth = size.width
        self.displayHeight = size.height
        self.averageFrameRate = averageFrameRate
        self.nominalFrameRate = nominalFrameRate
        self.pixelFormat = pixelFormat
        self.fieldOrder = fieldOrder
        self.colorTransfer = colorTransfer
        self.declaredFrames = declaredFrames
        self.bitRate = bitRate
    }

    /// Display size: width scaled by the sample aspect ratio (rounded), then swapped for 90/270.
    public static func displaySize(width: Int, height: Int, sar: Ratio, rotation: Int) -> (width: Int, height: Int) {
        var w = width
        if sar.numerator > 0, sar.denominator > 0, sar.numerator != sar.denominator {
            // Round half up in integers: (w * num + den / 2) / den.
            w = Int((Int64(width) * Int64(sar.numerator) + Int64(sar.denominator) / 2) / Int64(sar.denominator))
        }
        return rotation == 90 || rotation == 270 ? (height, w) : (w, height)
    }
}

/// An exact rational number, as FFmpeg's `AVRational`.
public struct Ratio: Sendable, Codable, Hashable, CustomStringConvertible {
    /// Numerator.
    public var numerator: Int
    /// Denominator.
    public var denominator: Int

    /// Creates `numerator/denominator`.
    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// The value as a `Double`; `nil` for a zero denominator.
    public var value: Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }

    public var description: String { "\(numerator)/\(denominator)" }
}
