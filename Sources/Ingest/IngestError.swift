/// An ingest failure with a stable code.
public struct IngestError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable code.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A file cannot be opened or read.
        public static let fileUnreadable = Code(rawValue: "file_unreadable")
        /// A path is a directory, FIFO, device or socket where a file was expected.
        public static let notAFile = Code(rawValue: "not_a_file")
        /// A path given to ingest does not exist.
        public static let pathMissing = Code(rawValue: "path_missing")
        /// FFmpeg's libraries cannot be loaded, so nothing can be checked.
        public static let probeUnavailable = Code(rawValue: "probe_unavailable")
        /// The job's settings are refused by the request rules.
        public static let invalidJob = Code(rawValue: "invalid_job")
    }

    public var code: Code
    public var message: String
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { "\(code): \(message)" }
}
