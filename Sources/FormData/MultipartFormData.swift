import Foundation

/// Why a `multipart/form-data` body could not be read.
public struct MultipartFormDataError: Error, Equatable, Sendable {
    /// A plain sentence saying what is wrong.
    public var message: String
}

/// The headers of one `multipart/form-data` part that matter here.
public struct MultipartPartHeaders: Equatable, Sendable {
    /// The form field's name (`Content-Disposition: form-data; name="..."`).
    public var name: String
    /// The file name, when the part carries one.
    public var filename: String?
    /// The part's `Content-Type`, when given.
    public var contentType: String?
}

/// A streaming `multipart/form-data` reader (RFC 7578 / RFC 2046): feed it the body as it arrives and it
/// returns events, holding back only what could be the start of a delimiter, so a part's content is never
/// kept whole in memory.
///
/// ```swift
/// var parser = MultipartFormDataParser(boundary: try MultipartFormDataParser.boundary(contentType: type))
/// for try await chunk in body { for event in try parser.feed(chunk) { … } }
/// try parser.finish()
/// ```
///
/// Every bound is fixed (``maxHeaderBytes``, ``maxParts``), so a hostile body ends in a
/// ``MultipartFormDataError``, never in unbounded memory.
public struct MultipartFormDataParser: Sendable {
    /// What the bytes fed so far contained.
    public enum Event: Equatable, Sendable {
        /// A part's headers were read.
        case partStarted(MultipartPartHeaders)
        /// Some of the current part's content.
        case content(ArraySlice<UInt8>)
        /// The current part ended (its next delimiter was read).
        case partEnded
    }

    private enum Phase { case preamble, afterDelimiter, headers, content, epilogue }

    /// Largest header block of one part.
    public static let maxHeaderBytes = 16 * 1024
    /// Most parts in one body.
    public static let maxParts = 64

    private var buffer: [UInt8]
    private var start = 0
    private let delimiter: [UInt8]
    private var phase = Phase.preamble
    private var parts = 0

    /// A reader for bodies delimited by `boundary`.
    public init(boundary: String) {
        // A virtual CRLF before the body makes the first delimiter look like every other one.
        buffer = [13, 10]
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// The boundary of a `multipart/form-data` content type, quoted or not.
    public static func boundary(contentType: String) throws(MultipartFormDataError) -> String {
        let pieces = HeaderParameters.split(contentType)
        guard let type = pieces.first?.trimmingCharacters(in: .whitespaces).lowercased(), type == "multipart/form-data" else {
            throw MultipartFormDataError(message: "The body must be multipart/form-data; got Content-Type \(contentType).")
        }
        guard let boundary = HeaderParameters.parameters(pieces.dropFirst())["boundary"] else {
            throw MultipartFormDataError(message: "The multipart/form-data Content-Type has no boundary parameter.")
        }
        guard (1...70).contains(boundary.utf8.count), !boundary.hasSuffix(" "),
              boundary.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 && $0.value < 127 }) else {
            throw MultipartFormDataError(message: "The multipart boundary must be 1-70 printable ASCII characters.")
        }
        return boundary
    }

    /// Reads `bytes`, returning the events they complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(MultipartFormDataError) -> [Event] {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        loop: while true {
            switch phase {
            case .preamble:
                if let index = find(delimiter, from: start) {
                    start = index + delimiter.count
                    phase = .afterDelimiter
                } else {
                    start = max(start, buffer.count - (delimiter.count - 1))
                    break loop
                }
            case .afterDelimiter:
                guard buffer.count - start >= 2 else { break loop }
                if buffer[start] == UInt8(ascii: "-"), buffer[start + 1] == UInt8(ascii: "-") {
                    phase = .epilogue
                    continue
                }
                var index = start
                while index < buffer.count, buffer[index] == 32 || buffer[index] == 9 { index += 1 }
                guard index - start <= 64 else { throw MultipartFormDataError(message: "A multipart delimiter line is malformed.") }
                guard buffer.count - index >= 2 else { break loop }
                guard buffer[index] == 13, buffer[index + 1] == 10 else {
                    throw MultipartFormDataError(message: "A multipart delimiter is not followed by CRLF.")
                }
                start = index + 2
                phase = .headers
            case .headers:
                let block: ArraySlice<UInt8>
                if buffer.count - start >= 2, buffer[start] == 13, buffer[start + 1] == 10 {
                    block = []
                    start += 2
                } else if let end = find([13, 10, 13, 10], from: start) {
                    block = buffer[start..<end]
                    start = end + 4
                } else {
                    // The blank line may have begun in the last three bytes held, so the block is at
                    // least three bytes shorter than what is held: only then is it surely too long
                    // (else the verdict would depend on where a chunk ended).
                    if buffer.count - start - 3 > Self.maxHeaderBytes {
                        throw MultipartFormDataError(message: "A part's headers exceed \(Self.maxHeaderBytes) bytes.")
                    }
                    break loop
                }
                guard block.count <= Self.maxHeaderBytes else {
                    throw MultipartFormDataError(message: "A part's headers exceed \(Self.maxHeaderBytes) bytes.")
                }
                parts += 1
                guard parts <= Self.maxParts else { throw MultipartFormDataError(message: "The body has more than \(Self.maxParts) parts.") }
                events.append(.partStarted(try Self.headers(block)))
                phase = .content
            case .content:
                if let index = find(delimiter, from: start) {
                    if index > start { events.append(.content(buffer[start..<index])) }
                    events.append(.partEnded)
                    start = index + delimiter.count
                    phase = .afterDelimiter
                } else {
                    let safe = buffer.count - (delimiter.count - 1)
                    if safe > start {
                        events.append(.content(buffer[start..<safe]))
                        start = safe
                    }
                    break loop
                }
            case .epilogue:
                start = buffer.count
                break loop
            }
        }
        return events
    }

    /// Checks that the body ended with its closing delimiter.
    public func finish() throws(MultipartFormDataError) {
        switch phase {
        case .epilogue: return
        case .preamble where parts == 0: throw MultipartFormDataError(message: "The body has no multipart delimiter for its boundary.")
        default: throw MultipartFormDataError(message: "The multipart body is truncated: its closing delimiter is missing.")
        }
    }

    private func find(_ needle: [UInt8], from offset: Int) -> Int? {
        guard buffer.count - offset >= needle.count else { return nil }
        return buffer.withUnsafeBytes { haystack -> Int? in
            needle.withUnsafeBytes { needle -> Int? in
                guard let base = haystack.baseAddress, let first = needle.first, let needleBase = needle.baseAddress else { return nil }
                let last = haystack.count - needle.count
                var index = offset
                while index <= last {
                    guard let found = memchr(base + index, Int32(first), last - index + 1) else { return nil }
                    let position = base.distance(to: UnsafeRawPointer(found))
                    if memcmp(base + position, needleBase, needle.count) == 0 { return position }
                    index = position + 1
                }
                return nil
            }
        }
    }

    private static func headers(_ block: ArraySlice<UInt8>) throws(MultipartFormDataError) -> MultipartPartHeaders {
        guard let text = String(validating: block, as: UTF8.self) else {
            throw MultipartFormDataError(message: "A part's headers are not valid UTF-8.")
        }
        var disposition: String?
        var contentType: String?
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw MultipartFormDataError(message: "A part header line has no colon: \(line.prefix(80)).")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-disposition": disposition = value
            case "content-type": contentType = value
            default: break
            }
        }
        guard let disposition else { throw MultipartFormDataError(message: "A part has no Content-Disposition header.") }
        let pieces = HeaderParameters.split(disposition)
        guard pieces.first?.trimmingCharacters(in: .whitespaces).lowercased() == "form-data" else {
            throw MultipartFormDataError(message: "A part's Content-Disposition must be form-data.")
        }
        let parameters = HeaderParameters.parameters(pieces.dropFirst())
        guard let name = parameters["name"], !name.isEmpty else {
            throw MultipartFormDataError(message: "A part's Content-Disposition has no name.")
        }
        return MultipartPartHeaders(name: name, filename: parameters["filename"], contentType: contentType)
    }
}

/// `type; key=value; key="quoted \" value"` header values.
enum HeaderParameters {
    /// The value split at semicolons outside quoted strings.
    static func split(_ value: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in value {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted, character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == ";", !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        return pieces
    }

    /// `key=value` pieces as a dictionary with lowercased keys and unquoted values (the first of each key wins).
    static func parameters(_ pieces: some Sequence<String>) -> [String: String] {
        var result: [String: String] = [:]
        for piece in pieces {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                var unquoted = ""
                var escaped = false
                for character in value.dropFirst().dropLast() {
                    if escaped {
                        unquoted.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else {
                        unquoted.append(character)
                    }
                }
                value = unquoted
            }
            if result[key] == nil { result[key] = value }
        }
        return result
    }
}
