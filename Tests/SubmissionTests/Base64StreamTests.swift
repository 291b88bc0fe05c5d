import AnalyzeAPI
import Foundation
@testable import Submission
import Testing

@Suite("Streaming base64 request body")
struct Base64StreamTests {
    static let settings = CreateAsyncAnalyzeRequest(
        video: .url("ignored"), prompt: "List \"every\" product / brand — with timestamps ✓\n\ttabs",
        temperature: 0.1, maxTokens: 2048,
        responseFormat: ResponseFormat(jsonSchema: .object([
            "type": .string("object"),
            "properties": .object(["products": .object(["type": .string("array"), "items": .object(["type": .string("string")])])]),
        ])),
        modelName: "pegasus1.2", customID: "clip_01", startTime: 0.5, endTime: 12.25)

    /// What a plain JSON encoder produces with the whole base64 string in memory.
    static func plain(_ request: CreateAsyncAnalyzeRequest, file: String) throws -> Data {
        var request = request
        request.video = .base64String(try Data(contentsOf: URL(fileURLWithPath: file)).base64EncodedString())
        return try WireCoding.encoder().encode(request)
    }

    @Test("byte-identical to the plain encoding on real fixtures", arguments: [
        "ok_640x360_5s.mp4", "ok.webm", "ok.ts", "short_3.9s.mp4", "text.mp4", "interlaced.mp4",
    ])
    func fixtures(name: String) async throws {
        let path = fixture(name)
        let streamed = try StreamedBase64Request(request: Self.settings, file: path)
        let bytes = try await streamed.body.collect()
        #expect(bytes == (try Self.plain(Self.settings, file: path)))
        #expect(Int64(bytes.count) == streamed.length)
    }

    @Test("byte-identical for every size mod 3 and read size, carry included", arguments: [0, 1, 2, 3, 4, 5, 6, 7, 998, 999, 1000, 1001])
    func sizes(size: Int) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: size, seed: UInt64(size))
        let expected = try Self.plain(Self.settings, file: path)
        for readSize in [3, 6, 9, 30, 3 * 256 * 1024] {
            let streamed = try StreamedBase64Request(request: Self.settings, file: path, readSize: readSize)
            #expect(try await streamed.body.collect() == expected, "read size \(readSize)")
        }
        // Reads that are not a multiple of 3 exercise the carried bytes.
        let request = try StreamedBase64Request(request: Self.settings, file: path)
        for readSize in [1, 2, 4, 5, 7] {
            var text = Data()
            for try await chunk in Base64Chunks(file: FileRange(path: path, length: Int64(size), readSize: readSize)) { text.append(chunk) }
            #expect(request.prefix + text + request.suffix == expected, "odd read size \(readSize)")
        }
    }

    @Test("the minimal request (prompt only) is identical too")
    func minimal() async throws {
        let request = CreateAsyncAnalyzeRequest(video: .url("x"), prompt: "Describe.")
        let path = fixture("ok_640x360_5s.mp4")
        let streamed = try StreamedBase64Request(request: request, file: path)
        #expect(try await streamed.body.collect() == (try Self.plain(request, file: path)))
        // The video sorts before "prompt": the prefix holds only the opening of the object.
        #expect(String(decoding: streamed.prefix, as: UTF8.self) == #"{"prompt":"Describe.","video":{"base64_string":""#)
        #expect(String(decoding: streamed.suffix, as: UTF8.self) == #"","type":"base64_string"}}"#)
    }

    @Test("each attempt re-reads the file; no chunk holds more than one read's encoding")
    func bounded() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: 3_000_001)
        let streamed = try StreamedBase64Request(request: Self.settings, file: path)
        guard case .stream(_, let make) = streamed.body else { Issue.record("expected a stream body"); return }
        var largest = 0, total = 0, chunks = 0
        for try await chunk in make() {
            largest = max(largest, chunk.count)
            total += chunk.count
            chunks += 1
        }
        #expect(largest <= 1 << 20)
        #expect(chunks > 4)
        #expect(Int64(total) == streamed.length)
        let again = try await streamed.body.collect()
        #expect(again == (try Self.plain(Self.settings, file: path)))
    }

    @Test("the elided form is valid JSON naming the size")
    func elided() throws {
        let streamed = try StreamedBase64Request(request: Self.settings, file: fixture("ok_640x360_5s.mp4"))
        let text = streamed.elidedJSON()
        #expect(text.contains("\"<base64 of 49,527 bytes elided>\""))
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value.objectValue?["video"]?.objectValue?["type"]?.stringValue == "base64_string")
    }

    @Test("a missing file is a typed error")
    func missing() {
        #expect(throws: SubmissionError.self) {
            _ = try StreamedBase64Request(request: Self.settings, file: "/nonexistent/clip.mp4")
        }
    }

    @Test("a file that shrinks while being read fails instead of sending a short body")
    func shrinking() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: 3000)
        let streamed = try StreamedBase64Request(request: Self.settings, file: path)
        try Data(count: 10).write(to: URL(fileURLWithPath: path))
        await #expect(throws: FileReadError.self) { _ = try await streamed.body.collect() }
    }

    @Test("the table encoder matches Foundation for all byte values")
    func encoder() {
        let all = Data((0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) })
        for count in 0...all.count {
            let slice = all.prefix(count)
            #expect(Base64Encoder.encode(Data(slice)) == slice.base64EncodedData())
        }
    }
}
