public import Foundation

/// The body of a ``TransportRequest``: bytes in memory, or a stream of a known length that can be produced
/// again for every attempt.
///
/// A stream body is never replayed by the transport: each call of ``stream(length:make:)``'s `make` starts a
/// fresh sequence (re-reading a file range, re-encoding a file), so the client can retry it.
public enum RequestBody: Sendable {
    /// Bytes held in memory.
    case data(Data)
    /// Exactly `length` bytes, produced in chunks by a new sequence from `make` for each attempt.
    case stream(length: Int64, make: @Sendable () -> ByteChunks)
    /// The bytes of a file range, read afresh for each attempt. A transport may read them straight into its own
    /// buffers (AsyncHTTPClient's `ByteBuffer`s) instead of through ``ByteChunks``' `Data`.
    case file(FileRange)

    /// The number of bytes the body sends.
    public var length: Int64 {
        switch self {
        case .data(let data): Int64(data.count)
        case .stream(let length, _): length
        case .file(let range): range.length
        }
    }

    /// The bytes of a ``data(_:)`` body; `nil` for a stream or a file range.
    public var data: Data? {
        if case .data(let data) = self { return data }
        return nil
    }

    /// The same body, calling `report(sent, total)` as each chunk is handed to the transport (a stream) or
    /// once with everything (bytes in memory). Each attempt counts from zero again.
    public func observingProgress(_ report: @escaping @Sendable (_ sent: Int64, _ total: Int64) -> Void) -> RequestBody {
        switch self {
        case .data(let data):
            return .stream(length: Int64(data.count), make: {
                ByteChunks(ObservedChunks(base: ByteChunks(chunks: [data]), total: Int64(data.count), report: report))
            })
        case .stream(let length, let make):
            return .stream(length: length, make: { ByteChunks(ObservedChunks(base: make(), total: length, report: report)) })
        case .file(let range):
            return .stream(length: range.length, make: { ByteChunks(ObservedChunks(base: ByteChunks(range), total: range.length, report: report)) })
        }
    }

    /// Collects the whole body into memory (for tests and small bodies).
    ///
    /// - Throws: Whatever the stream throws, or ``BodyLengthMismatch`` when it does not produce exactly
    ///   ``length`` bytes.
    public func collect() async throws -> Data {
        switch self {
        case .data(let data):
            return data
        case .file(let range):
            return try await RequestBody.stream(length: range.length, make: { ByteChunks(range) }).collect()
        case .stream(let length, let make):
            var out = Data()
            out.reserveCapacity(Int(min(length, 64 << 20)))
            for try await chunk in make() { out.append(chunk) }
            guard Int64(out.count) == length else { throw BodyLengthMismatch(expected: length, actual: Int64(out.count)) }
            return out
        }
    }
}

/// A stream body produced more or fewer bytes than it announced (for a file, it changed while being sent).
public struct BodyLengthMismatch: Error, Sendable, CustomStringConvertible {
    /// The announced length.
    public var expected: Int64
    /// The bytes actually produced.
    public var actual: Int64

    /// Creates a value from its fields.
    public init(expected: Int64, actual: Int64) {
        self.expected = expected
        self.actual = actual
    }

    public var description: String { "the body announced \(expected) bytes but produced \(actual)" }
}

/// A type-erased asynchronous sequence of byte chunks: the currency of streamed bodies.
public struct ByteChunks: AsyncSequence, Sendable {
    public typealias Element = Data

    private let makeIterator: @Sendable () -> AsyncIterator

    /// Wraps any sendable sequence of `Data` chunks.
    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == Data {
        makeIterator = { AsyncIterator(base.makeAsyncIterator()) }
    }

    /// Chunks given in memory (tests, small constant parts).
    public init(chunks: [Data]) {
        makeIterator = {
            var remaining = chunks[...]
            return AsyncIterator(next: { remaining.popFirst() })
        }
    }

    /// Concatenates sequences: all of `parts[0]`, then `parts[1]`, …
    public init(concatenating parts: [ByteChunks]) {
        makeIterator = {
            var pending = parts[...]
            var current: AsyncIterator?
            return AsyncIterator(next: {
                while true {
                    if current == nil {
                        guard let part = pending.popFirst() else { return nil }
                        current = part.makeAsyncIterator()
                    }
                    if let chunk = try await current!.next() { return chunk }
                    current = nil
                }
            })
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { makeIterator() }

    /// Iterates a ``ByteChunks``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let nextChunk: () async throws -> Data?

        init(next: @escaping () async throws -> Data?) {
            nextChunk = next
        }

        init<Base: AsyncIteratorProtocol>(_ base: Base) where Base.Element == Data {
            let box = IteratorBox(base)
            nextChunk = { try await box.next() }
        }

        public mutating func next() async throws -> Data? {
            try await nextChunk()
        }
    }
}

private final class IteratorBox<Base: AsyncIteratorProtocol> where Base.Element == Data {
    var base: Base
    init(_ base: Base) { self.base = base }
    func next() async throws -> Data? { try await base.next() }
}

/// A body's chunks, passed through unchanged, with a running count reported after each one.
struct ObservedChunks: AsyncSequence, Sendable {
    typealias Element = Data
    let base: ByteChunks
    let total: Int64
    let report: @Sendable (Int64, Int64) -> Void

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), total: total, report: report) }

    struct Iterator: AsyncIteratorProtocol {
        var base: ByteChunks.AsyncIterator
        let total: Int64
        let report: @Sendable (Int64, Int64) -> Void
        var sent: Int64 = 0

        mutating func next() async throws -> Data? {
            guard let chunk = try await base.next() else { return nil }
            sent += Int64(chunk.count)
            report(sent, total)
            return chunk
        }
    }
}
