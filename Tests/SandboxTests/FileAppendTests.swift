import Foundation
@testable import Sandbox
import Testing

/// The sandbox joins uploaded chunks with `FileAppend` (sendfile on Linux): the asset file must be the
/// exact concatenation, whatever the sizes, and a missing chunk a clear error.
@Suite struct FileAppendTests {
    @Test("chunks of any size, empty ones included, are joined byte for byte")
    func joinsExactly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("append-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SplitMix64(seed: 7)
        var expected = Data()
        var paths: [String] = []
        for (index, size) in [0, 1, 4095, 4096, 1 << 20, 3_000_001, 0, 17].enumerated() {
            let bytes = Data((0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            let url = directory.appendingPathComponent("chunk-\(index)")
            try bytes.write(to: url)
            expected.append(bytes)
            paths.append(url.path)
        }
        let target = directory.appendingPathComponent("joined").path
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(output >= 0)
        for path in paths { try FileAppend.append(path, to: output) }
        close(output)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == expected)
    }

    /// Linux's sendfile refuses an output opened with O_APPEND (EINVAL): the copy falls back to read/write.
    @Test("when sendfile cannot serve the pair of files, the buffered copy gives the same bytes")
    func fallbackCopy() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("append-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SplitMix64(seed: 11)
        let first = Data((0..<2_500_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let second = Data((0..<123).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        try first.write(to: directory.appendingPathComponent("a"))
        try second.write(to: directory.appendingPathComponent("b"))
        let target = directory.appendingPathComponent("joined").path
        let output = open(target, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        try #require(output >= 0)
        try FileAppend.append(directory.appendingPathComponent("a").path, to: output)
        try FileAppend.append(directory.appendingPathComponent("b").path, to: output)
        close(output)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == first + second)
    }

    @Test("a missing chunk is an error naming it")
    func missingChunk() throws {
        let output = open("/dev/null", O_WRONLY)
        defer { close(output) }
        #expect { try FileAppend.append("/nonexistent/chunk-1", to: output) } throws: { error in
            "\(error)".contains("/nonexistent/chunk-1")
        }
    }
}
