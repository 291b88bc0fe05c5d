import Foundation
@_spi(Fuzzing) import MediaProbe
import Testing

/// The in-memory probe behind the fuzz harnesses (`Fuzz/`): a custom `AVIOContext` over a buffer, through FFmpeg
/// functions from the loader's table. Over a flat buffer it must learn what the file probe learns from the same bytes,
/// and its I/O modes (short reads, no seeking, a false size) must end in facts or a typed error.
@Suite struct MemoryProbeTests {
    static let files = ["ok_640x360_5s.mp4", "ok.mov", "ok.mkv", "ok.webm", "ok.ts", "rotate_90.mp4", "audio_only.m4a", "start_offset.mp4"]

    @Test("A flat buffer gives the file's facts", arguments: files)
    func flatBufferMatchesTheFile(name: String) async throws {
        let path = Fixtures.path(name)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let fromFile = try await MediaProbe.probe(path: path)
        let fromMemory = try MediaProbe.probe(bytes: bytes, mode: .flat)
        #expect(fromMemory.sizeBytes == fromFile.sizeBytes)
        #expect(fromMemory.container == fromFile.container)
        #expect(fromMemory.durationMicroseconds == fromFile.durationMicroseconds)
        #expect(fromMemory.durationSource == fromFile.durationSource)
        #expect(fromMemory.startTimeSeconds == fromFile.startTimeSeconds)
        #expect(fromMemory.video == fromFile.video)
        #expect(fromMemory.audioStreams == fromFile.audioStreams)
    }

    @Test("Short reads, no seeking, a false size and seeks that do not move: facts or a typed error, never a crash")
    func hostileIO() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("ok_640x360_5s.mp4"))))
        let modes = [
            MemoryInputMode(maxReadBytes: 1),
            MemoryInputMode(seekable: false),
            MemoryInputMode(declaredSize: 7),
            MemoryInputMode(declaredSize: -1),
            MemoryInputMode(seeksMoveData: false),
        ]
        var probed = 0
        for mode in modes {
            do {
                let info = try MediaProbe.probe(bytes: bytes, mode: mode, options: ProbeOptions(timeout: .seconds(10)))
                #expect(info.sizeBytes == Int64(bytes.count))
                probed += 1
            } catch {
                #expect(!error.message.isEmpty, "\(mode)")
            }
        }
        // A 1-byte read and an unseekable buffer still hold a whole MP4 with its index first.
        #expect(probed >= 2)
        #expect(throws: ProbeError.self) { try MediaProbe.probe(bytes: [], mode: .flat) }
        #expect(throws: ProbeError.self) { try MediaProbe.probe(bytes: Array("not a video at all".utf8), mode: .flat) }
    }
}
