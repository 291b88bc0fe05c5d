/// A journal failure, with a stable code and a sentence that names the journal.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable code.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The journal cannot be opened, read or written.
        public static let unavailable = Code(rawValue: "journal_unavailable")
        /// The journal's address is not one this tool understands.
        public static let badLocation = Code(rawValue: "journal_bad_location")
        /// The journal was written by a newer version of this tool.
        public static let tooNew = Code(rawValue: "journal_too_new")
        /// The write carried a lease token that is no longer the item's: another worker owns it now.
        public static let fenced = Code(rawValue: "lease_lost")
        /// The job exists with other settings.
        public static let jobMismatch = Code(rawValue: "job_mismatch")
        /// No job of that name.
        public static let unknownJob = Code(rawValue: "unknown_job")
        /// A file the journal's folder or file would be made from is unsafe (a symlink, another owner's).
        public static let unsafePath = Code(rawValue: "unsafe_path")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
