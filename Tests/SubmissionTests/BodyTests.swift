import AnalyzeAPI
import Foundation
import Testing

@Suite("multipart/form-data body and file ranges")
struct BodyTests {
    @Test("the form body's bytes are exactly the documented layout, with the file streamed last")
    func formBytes() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("clip.mp4")
        try Data("VIDEO-BYTES".utf8).write(to: path)
        let form = MultipartFormBody(
            fields: [("method", "direct"), ("filename", "my \"clip\".mp4")], fileField: "file",
            filename: "my \"clip\".mp4", file: try FileRange.wholeFile(path.path), boundary: "BOUNDARY")
        let expected = "--BOUNDARY\r\nContent-Disposition: form-data; name=\"method\"\r\n\r\ndirect\r\n"
            + "--BOUNDARY\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nmy \"clip\".mp4\r\n"
            + "--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"my %22clip%22.mp4\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\nVIDEO-BYTES\r\n--BOUNDARY--\r\n"
        let bytes = try await form.body.collect()
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        #expect(form.length == Int64(bytes.count))
        #expect(form.contentType == "multipart/form-data; boundary=BOUNDARY")
    }

    @Test("a file range reads exactly its bytes, in reads of the given size, again on every iteration")
    func range() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: 10_000)
        let all = try Data(contentsOf: URL(fileURLWithPath: path))
        let range = FileRange(path: path, offset: 1234, length: 5000, readSize: 1000)
        for _ in 0..<2 {
            var sizes: [Int] = []
            var data = Data()
            for try await chunk in range {
                sizes.append(chunk.count)
                data.append(chunk)
            }
            #expect(sizes == [1000, 1000, 1000, 1000, 1000])
            #expect(data == all.subdata(in: 1234..<6234))
        }
    }

    @Test("a range past the end of the file fails with a typed error")
    func pastEnd() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try makeFile(in: directory, count: 100)
        await #expect(throws: FileReadError.self) {
            _ = try await FileRange(path: path, offset: 50, length: 100).body.collect()
        }
        await #expect(throws: FileReadError.self) {
            _ = try await FileRange(path: directory.appendingPathComponent("missing").path, length: 1).body.collect()
        }
    }
}
