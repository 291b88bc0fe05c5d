import Foundation
@testable import FormData
import Testing

/// The streaming form reader on its own: the same events whatever the pieces the body arrives in.
@Suite struct MultipartFormDataTests {
    struct Part: Equatable {
        var headers: MultipartPartHeaders
        var content: [UInt8]
    }

    static func read(_ body: [UInt8], boundary: String, pieceSize: Int) throws -> [Part] {
        var parser = MultipartFormDataParser(boundary: boundary)
        var parts: [Part] = []
        var open = false
        var offset = 0
        while offset < body.count {
            let piece = body[offset..<min(body.count, offset + pieceSize)]
            offset += pieceSize
            for event in try parser.feed(piece) {
                switch event {
                case .partStarted(let headers):
                    #expect(!open)
                    parts.append(Part(headers: headers, content: []))
                    open = true
                case .content(let bytes):
                    #expect(open)
                    parts[parts.count - 1].content += bytes
                case .partEnded:
                    #expect(open)
                    open = false
                }
            }
        }
        try parser.finish()
        return parts
    }

    static let boundary = "XyZ"
    static let tricky: [UInt8] = Array("\r\n--Xy\r\n-\r\n--XyQ\r\n\r\n".utf8) + [0, 255, 13, 13, 10, 45]

    static var body: [UInt8] {
        Array("preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x;y.mp4\"\r\nContent-Type: video/mp4\r\n\r\n".utf8)
            + tricky
            + Array("\r\n--XyZ\t \r\nContent-Disposition: form-data; name=method\r\n\r\ndirect\r\n--XyZ--ignored epilogue --XyZ".utf8)
    }

    @Test(arguments: [1, 2, 3, 5, 7, 16, 1000])
    func piecesOfAnySizeGiveTheSameParts(pieceSize: Int) throws {
        let parts = try Self.read(Self.body, boundary: Self.boundary, pieceSize: pieceSize)
        #expect(parts == [
            Part(headers: MultipartPartHeaders(name: "file", filename: "x;y.mp4", contentType: "video/mp4"), content: Self.tricky),
            Part(headers: MultipartPartHeaders(name: "method", filename: nil, contentType: nil), content: Array("direct".utf8)),
        ])
    }

    @Test func boundariesComeFromTheContentType() throws {
        #expect(try MultipartFormDataParser.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(try MultipartFormDataParser.boundary(contentType: "Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b;c\"") == "a b;c")
        for bad in ["text/plain; boundary=abc", "multipart/form-data", "multipart/form-data; boundary=\"\"",
                    "multipart/form-data; boundary=" + String(repeating: "a", count: 71), "multipart/mixed; boundary=abc"] {
            #expect(throws: MultipartFormDataError.self, "\(bad)") { try MultipartFormDataParser.boundary(contentType: bad) }
        }
    }

    @Test func oversizedHeadersAndTooManyPartsAreRefused() throws {
        var parser = MultipartFormDataParser(boundary: "b")
        let header = Array("--b\r\nX-Long: ".utf8) + [UInt8](repeating: 65, count: MultipartFormDataParser.maxHeaderBytes + 1)
        #expect(throws: MultipartFormDataError.self) { _ = try parser.feed(header) }

        var many: [UInt8] = []
        for _ in 0...MultipartFormDataParser.maxParts { many += Array("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n".utf8) }
        var second = MultipartFormDataParser(boundary: "b")
        #expect(throws: MultipartFormDataError.self) { _ = try second.feed(many) }
    }
}
