public import AnalyzeAPI
public import Foundation
import Preflight

/// A create request whose video is a local file sent inline as base64, produced as a **stream**: the JSON
/// before the video's text, the base64 of the file read in chunks, the JSON after.
///
/// Neither the file nor its encoding is ever held whole in memory, and ``body`` re-reads the file for every
/// attempt. The bytes equal what `WireCoding.encoder()` produces for the same request with the whole base64
/// string in it: the JSON around the video is found by encoding the request with a unique placeholder in its
/// place and splitting around it, so key order, escaping and number formatting are the encoder's own.
///
/// ```swift
/// let streamed = try StreamedBase64Request(request: request, file: "clip.mp4")
/// let task = try await client.createTask(encodedBody: streamed.body)
/// ```
public struct StreamedBase64Request: Sendable {
    /// The JSON up to and including the opening quote of `base64_string`'s value.
    public let prefix: Data
    /// The JSON from the closing quote of `base64_string`'s value to the end.
    public let suffix: Data
    /// The file's bytes, read `readSize` (a multiple of 3) at a time.
    public let file: FileRange
    /// The number of base64 characters: `4 * ceil(size / 3)`.
    public let encodedLength: Int64

    /// The default read size: 3 × 256 KiB raw bytes, 1 MiB of text per chunk.
    public static let defaultReadSize = 3 * 256 * 1024

    /// Prepares the body of `request` with its video replaced by the base64 of `file`.
    ///
    /// - Parameters:
    ///   - request: The settings; its `video` is ignored.
    ///   - file: The local file to inline.
    ///   - readSize: Raw bytes per read, rounded down to a multiple of 3 (at least 3).
    /// - Throws: ``SubmissionError`` (`file_unreadable` when the file cannot be examined, `encoding_failed`
    ///   when the request cannot be encoded).
    public init(request: CreateAsyncAnalyzeRequest, file path: String, readSize: Int = StreamedBase64Request.defaultReadSize) throws {
        let size: Int64
        do {
            size = try FileRange.wholeFile(path).length
        } catch let error as FileReadError {
            throw SubmissionError(.fileUnreadable, error.message, path: path, underlying: error)
        }
        let read = max(3, readSize / 3 * 3)
        try self.init(request: request, file: FileRange(path: path, length: size, readSize: read))
    }

    /// Prepares the body of `request` with its video replaced by the base64 of the bytes of `file`.
    public init(request: CreateAsyncAnalyzeRequest, file: FileRange) throws {
        let placeholder = "VPBASE64" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        var stand = request
        stand.video = .base64String(placeholder)
        let encoded: Data
        do {
            encoded = try WireCoding.encoder().encode(stand)
        } catch {
            throw SubmissionError(.encodingFailed, "the request cannot be encoded: \(error)", underlying: error)
        }
        let marker = Data(placeholder.utf8)
        guard let found = encoded.range(of: marker),
              encoded.range(of: marker, in: found.upperBound..<encoded.endIndex) == nil
        else {
            throw SubmissionError(.encodingFailed, "the base64 placeholder was not found exactly once in the encoded request")
        }
        prefix = encoded.subdata(in: encoded.startIndex..<found.lowerBound)
        suffix = encoded.subdata(in: found.upperBound..<encoded.endIndex)
        var range = file
        range.readSize = max(3, range.readSize / 3 * 3)
        self.file = range
        encodedLength = Base64Encoder.encodedLength(file.length)
    }

    /// The body's exact length in bytes.
    public var length: Int64 { Int64(prefix.count) + encodedLength + Int64(suffix.count) }

    /// The body as a stream that re-reads and re-encodes the file for every attempt.
    public var body: RequestBody {
        let parts = self
        return .stream(length: length, make: { parts.chunks() })
    }

    /// A fresh sequence of the body's bytes: the prefix, the encoded file (one chunk per read), the suffix.
    public func chunks() -> ByteChunks {
        ByteChunks(concatenating: [
            ByteChunks(chunks: [prefix]), ByteChunks(Base64Chunks(file: file)), ByteChunks(chunks: [suffix]),
        ])
    }

    /// The body with the video text elided (for `--dry-run` and logs).
    public func elidedJSON() -> String {
        String(decoding: prefix, as: UTF8.self) + "<base64 of \(Planner.grouped(file.length)) bytes elided>"
            + String(decoding: suffix, as: UTF8.self)
    }
}

/// The base64 text of a file range, one encoded chunk per read. Bytes left over when a read is not a multiple
/// of 3 are carried into the next chunk, so only the final chunk is padded.
struct Base64Chunks: AsyncSequence, Sendable {
    typealias Element = Data
    let file: FileRange

    func makeAsyncIterator() -> Iterator { Iterator(base: file.makeAsyncIterator()) }

    struct Iterator: AsyncIteratorProtocol {
        var base: FileRange.AsyncIterator
        var carry = Data()
        var done = false

        mutating func next() async throws -> Data? {
            while !done {
                guard let chunk = try await base.next() else {
                    done = true
                    if carry.isEmpty { return nil }
                    defer { carry = Data() }
                    return Base64Encoder.encode(carry)
                }
                var input = carry.isEmpty ? chunk : carry + chunk
                let whole = input.count / 3 * 3
                carry = whole == input.count ? Data() : input.subdata(in: input.startIndex + whole..<input.endIndex)
                if whole == 0 { continue }
                if whole != input.count { input = input.subdata(in: input.startIndex..<input.startIndex + whole) }
                return Base64Encoder.encode(input)
            }
            return nil
        }
    }
}
