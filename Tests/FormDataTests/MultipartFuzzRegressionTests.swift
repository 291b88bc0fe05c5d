import Foundation
@testable import FormData
import Testing

/// Inputs the fuzz harness `Fuzz/Sources/FuzzMultipart` failed on (kept in `Fuzz/Regressions/FuzzMultipart/`),
/// replayed through the parser's normal API.
@Suite struct MultipartFuzzRegressionTests {
    /// A regression input split as the harness splits it: boundary, chunk sizes, body.
    static func regression(_ name: String) throws -> (boundary: String, sizes: [Int], body: [UInt8]) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let input = [UInt8](try Data(contentsOf: root.appendingPathComponent("Fuzz/Regressions/FuzzMultipart/\(name)")))
        var index = 0
        let length = Int(input[index]) % 70 + 1
        index += 1
        let boundary = String(decoding: input[index..<(index + length)], as: UTF8.self)
        index += length
        let count = Int(input[index]) % 8 + 1
        index += 1
        let sizes = input[index..<(index + count)].map { Int($0) + 1 }
        index += count
        return (boundary, sizes, Array(input[index...]))
    }

    static func parts(_ body: [UInt8], boundary: String, sizes: [Int]) throws -> [(MultipartPartHeaders, [UInt8])] {
        var parser = MultipartFormDataParser(boundary: boundary)
        var parts: [(MultipartPartHeaders, [UInt8])] = []
        var offset = 0
        var turn = 0
        while offset < body.count {
            let end = min(body.count, offset + sizes[turn % sizes.count])
            turn += 1
            for event in try parser.feed(body[offset..<end]) {
                switch event {
                case .partStarted(let headers): parts.append((headers, []))
                case .content(let bytes): parts[parts.count - 1].1 += bytes
                case .partEnded: break
                }
            }
            offset = end
        }
        try parser.finish()
        return parts
    }

    /// A header block of 16383 bytes (under the 16 KiB limit) was refused as too long when a chunk ended
    /// two bytes into the blank line after it: the parser counted the `\r\n` it had as part of the block.
    /// Fed whole, the same body was accepted.
    @Test func aHeaderBlockUnderTheLimitIsReadWhereverAChunkEnds() throws {
        let (boundary, sizes, body) = try Self.regression("header-block-split-before-its-blank-line")
        for sizes in [sizes, [body.count]] {
            let parts = try Self.parts(body, boundary: boundary, sizes: sizes)
            #expect(parts.count == 1)
            #expect(parts.first?.0.name == "x")
            #expect(parts.first?.1 == Array("content".utf8))
        }
    }

    /// The limit itself still holds: a block of 16385 bytes is refused, in chunks or whole.
    @Test func aHeaderBlockOverTheLimitIsRefusedWhereverAChunkEnds() throws {
        let first = Array("Content-Disposition: form-data; name=x\r\nX-Pad: ".utf8)
        let block = first + [UInt8](repeating: UInt8(ascii: "p"), count: MultipartFormDataParser.maxHeaderBytes + 1 - first.count)
        let body = Array("--b\r\n".utf8) + block + Array("\r\n\r\ncontent\r\n--b--".utf8)
        for sizes in [[1], [256], [7, 3], [body.count]] {
            #expect(throws: MultipartFormDataError.self) { try Self.parts(body, boundary: "b", sizes: sizes) }
        }
    }
}
