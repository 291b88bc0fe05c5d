public import Foundation

/// A byte range of a local file, read in chunks each time it is iterated (so a body built from it can be
/// sent again for a retry). The file is opened lazily by each iterator and closed when the iterator ends.
public struct FileRange: AsyncSequence, Sendable, Hashable {
    public typealias Element = Data

    /// The file's path.
    public var path: String
    /// The first byte's offset.
    public var offset: Int64
    /// The number of bytes.
    public var length: Int64
    /// The most bytes one read returns.
    public var readSize: Int

    /// The range `offset..<offset+length` of `path`, read `readSize` bytes at a time (default 1 MiB).
    public init(path: String, offset: Int64 = 0, length: Int64, readSize: Int = 1 << 20) {
        self.path = path
        self.offset = offset
        self.length = length
        self.readSize = Swift.max(1, readSize)
    }

    /// The whole file at `path`.
    ///
    /// - Throws: ``FileReadError`` when it cannot be examined.
    public static func wholeFile(_ path: String, readSize: Int = 1 << 20) throws -> FileRange {
        let size: Int64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw FileReadError(path: path, message: "cannot examine \(path): \(error.localizedDescription)", underlying: error)
        }
        return FileRange(path: path, length: size, readSize: readSize)
    }

    /// This range as a stream ``RequestBody``.
    public var body: RequestBody {
        let range = self
        return .stream(length: length, make: { ByteChunks(range) })
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(range: self) }

    /// Reads the range chunk by chunk.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let range: FileRange
        var handle: FileHandle?
        var remaining: Int64

        init(range: FileRange) {
            self.range = range
            remaining = range.length
        }

        /// The next chunk, or `nil` after the range's last byte.
        ///
        /// - Throws: ``FileReadError`` when the file cannot be opened or read, or ends before the range does.
        public mutating func next() async throws -> Data? {
            guard remaining > 0 else {
                try? handle?.close()
                handle = nil
                return nil
            }
            try Task.checkCancellation()
            if handle == nil {
                do {
                    let opened = try FileHandle(forReadingFrom: URL(fileURLWithPath: range.path))
                    try opened.seek(toOffset: UInt64(range.offset))
                    handle = opened
                } catch {
                    throw FileReadError(path: range.path, message: "cannot open \(range.path): \(error.localizedDescription)", underlying: error)
                }
            }
            let wanted = Int(Swift.min(Int64(range.readSize), remaining))
            let chunk: Data
            do {
                chunk = try handle!.read(upToCount: wanted) ?? Data()
            } catch {
                throw FileReadError(path: range.path, message: "cannot read \(range.path): \(error.localizedDescription)", underlying: error)
            }
            guard !chunk.isEmpty else {
                throw FileReadError(path: range.path, message: "\(range.path) ended \(remaining) bytes early; it changed while being read")
            }
            remaining -= Int64(chunk.count)
            return chunk
        }
    }
}

/// A local file could not be read (or changed while it was).
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// A readable explanation.
    public var message: String
    /// The error behind this one.
    public var underlying: (any Error)?

    /// Creates a value from its fields.
    public init(path: String, message: String, underlying: (any Error)? = nil) {
        self.path = path
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}
