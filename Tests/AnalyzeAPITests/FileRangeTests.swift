@testable import AnalyzeAPI
import Foundation
import NIOCore
import Testing

/// `FileRange` reads with `pread(2)`: every range, at every read size, must give exactly its bytes,
/// be readable again (for a retry), and fail clearly when the file is shorter than the range.
@Suite struct FileRangeTests {
    static func makeFile(size: Int) throws -> (URL, Data) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<size).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("filerange-\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        return (url, Data(bytes))
    }

    @Test("ranges at any offset and read size give exactly their bytes, twice", arguments: [
        (0, 100_003, 1 << 20), (0, 100_003, 1), (1, 99_999, 7), (4096, 5000, 4096), (99_000, 1003, 300), (50_000, 0, 64),
    ])
    func exactBytes(_ offset: Int, _ length: Int, _ readSize: Int) async throws {
        let (url, data) = try Self.makeFile(size: 100_003)
        defer { try? FileManager.default.removeItem(at: url) }
        let range = FileRange(path: url.path, offset: Int64(offset), length: Int64(length), readSize: readSize)
        for _ in 0..<2 {
            var collected = Data()
            var pieces = 0
            for try await chunk in range {
                #expect(chunk.count <= readSize)
                collected.append(chunk)
                pieces += 1
            }
            #expect(collected == data.subdata(in: offset..<offset + length))
            #expect(pieces == (length + readSize - 1) / readSize)
        }
    }

    @Test("a range past the end of the file, or a missing file, is a FileReadError")
    func shortOrMissing() async throws {
        let (url, _) = try Self.makeFile(size: 1000)
        defer { try? FileManager.default.removeItem(at: url) }
        await #expect(throws: FileReadError.self) {
            for try await _ in FileRange(path: url.path, offset: 900, length: 200) {}
        }
        await #expect(throws: FileReadError.self) {
            for try await _ in FileRange(path: url.path + ".missing", length: 10) {}
        }
    }

    /// The AsyncHTTPClient transport reads a ``RequestBody/file(_:)`` straight into ByteBuffers: the same bytes.
    @Test("the transport's ByteBuffer reader gives exactly the range's bytes, twice", arguments: [
        (0, 100_003, 1 << 20), (0, 100_003, 1), (1, 99_999, 7), (4096, 5000, 4096), (99_000, 1003, 300), (50_000, 0, 64),
    ])
    func byteBufferReader(_ offset: Int, _ length: Int, _ readSize: Int) async throws {
        let (url, data) = try Self.makeFile(size: 100_003)
        defer { try? FileManager.default.removeItem(at: url) }
        let buffers = FileRangeBuffers(range: FileRange(path: url.path, offset: Int64(offset), length: Int64(length), readSize: readSize))
        for _ in 0..<2 {
            var collected = Data()
            for try await buffer in buffers {
                #expect(buffer.readableBytes <= readSize && buffer.readableBytes > 0)
                collected.append(contentsOf: buffer.readableBytesView)
            }
            #expect(collected == data.subdata(in: offset..<offset + length))
        }
        await #expect(throws: FileReadError.self) {
            for try await _ in FileRangeBuffers(range: FileRange(path: url.path, offset: 100_000, length: 10)) {}
        }
    }

    @Test("size(of:) is the file's size, and a clear error for a missing file")
    func sizeOf() throws {
        let (url, _) = try Self.makeFile(size: 12_345)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try FileRange.size(of: url.path) == 12_345)
        #expect(try FileRange.wholeFile(url.path).length == 12_345)
        #expect(throws: FileReadError.self) { try FileRange.size(of: url.path + ".missing") }
    }
}
