/// How a file of ``totalSize`` bytes splits into chunks of ``chunkSize``: indexes are **1-based**, and every
/// chunk but the last has exactly ``chunkSize`` bytes.
public struct ChunkPlan: Sendable, Hashable {
    /// One chunk's place in the file.
    public struct Chunk: Sendable, Hashable {
        /// The chunk's 1-based index.
        public var index: Int
        /// Its first byte's offset in the file.
        public var offset: Int64
        /// Its length in bytes.
        public var length: Int64
    }

    /// The file's size in bytes.
    public let totalSize: Int64
    /// Bytes per chunk (the last may be shorter).
    public let chunkSize: Int64
    /// The number of chunks: `ceil(totalSize / chunkSize)`.
    public let count: Int

    /// A plan, or `nil` when the size or chunk size is not positive.
    public init?(totalSize: Int64, chunkSize: Int64) {
        guard totalSize > 0, chunkSize > 0 else { return nil }
        self.totalSize = totalSize
        self.chunkSize = chunkSize
        count = Int((totalSize + chunkSize - 1) / chunkSize)
    }

    /// The chunk with 1-based `index` (1…``count``).
    public func chunk(_ index: Int) -> Chunk {
        precondition((1...count).contains(index), "chunk index \(index) outside 1…\(count)")
        let offset = Int64(index - 1) * chunkSize
        return Chunk(index: index, offset: offset, length: min(chunkSize, totalSize - offset))
    }

    /// Every chunk, in order.
    public var chunks: [Chunk] { (1...count).map(chunk) }

    /// Contiguous runs of `indexes` (sorted) of at most `maximum` indexes each, as (start, count) pairs —
    /// the shape of presigned-URL requests.
    public static func runs(of indexes: [Int], maximum: Int) -> [(start: Int, count: Int)] {
        var runs: [(start: Int, count: Int)] = []
        for index in indexes.sorted() {
            if let last = runs.last, last.start + last.count == index, last.count < maximum {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((index, 1))
            }
        }
        return runs
    }
}
