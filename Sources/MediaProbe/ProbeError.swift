/// Why a file could not be probed. The ``code`` is stable: the CLI prints it, tools match on it.
///
/// Follows the shape of AsyncHTTPClient's errors: a struct over a closed set of codes, so new
/// context can be added without breaking callers, with the path and FFmpeg's own last log line
/// ("moov atom not found") kept for people.
public struct ProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stable reason codes: a struct with static members, as every error code of this package is
    /// (`APIError.Code`, `ViolationCode`), so that a new code is not a breaking change; `switch` over them
    /// with `case .fileNotFound:`.
    public struct Code: RawRepresentable, Sendable, Codable, Hashable, CustomStringConvertible {
        /// The wire string, e.g. `file_not_found`.
        public var rawValue: String
        /// The code of a wire string.
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Nothing exists at the path (or a symlink points nowhere).
        public static let fileNotFound = Code(rawValue: "file_not_found")
        /// The path resolves to a directory, FIFO, socket or device.
        public static let notARegularFile = Code(rawValue: "not_a_regular_file")
        /// The file exists but cannot be read by this process.
        public static let unreadable = Code(rawValue: "unreadable")
        /// The file has zero bytes.
        public static let emptyFile = Code(rawValue: "empty_file")
        /// FFmpeg could not recognise or parse a container in it.
        public static let notMedia = Code(rawValue: "not_media")
        /// The container is one the probe refuses on purpose: playlists, concat lists, image
        /// sequences and other demuxers that open further files or URLs.
        public static let formatRefused = Code(rawValue: "format_refused")
        /// Probing did not finish within the time budget.
        public static let probeTimeout = Code(rawValue: "probe_timeout")
        /// FFmpeg's libraries could not be loaded: missing, or a version other than the one this
        /// build was compiled against. Not about the file; no file can be probed.
        public static let ffmpegUnavailable = Code(rawValue: "ffmpeg_unavailable")

        /// Every code this version knows.
        public static let known: [Code] = [.fileNotFound, .notARegularFile, .unreadable, .emptyFile, .notMedia, .formatRefused, .probeTimeout, .ffmpegUnavailable]
    }

    /// The stable reason.
    public var code: Code
    /// The path as given by the caller.
    public var path: String
    /// A plain sentence saying what went wrong.
    public var message: String
    /// The last error or warning FFmpeg logged while working on this file, if any.
    public var ffmpegMessage: String?
    /// The FFmpeg (`AVERROR`) or POSIX error number behind the failure, if any.
    public var underlyingCode: Int32?

    /// Creates an error.
    public init(_ code: Code, path: String, message: String, ffmpegMessage: String? = nil, underlyingCode: Int32? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.ffmpegMessage = ffmpegMessage
        self.underlyingCode = underlyingCode
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let ffmpegMessage, !message.contains(ffmpegMessage) { text += " (FFmpeg: \(ffmpegMessage))" }
        return text
    }
}
