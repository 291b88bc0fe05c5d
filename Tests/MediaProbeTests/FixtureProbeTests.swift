import Foundation
import Testing
@testable import MediaProbe

/// What ffprobe 5.1 reports for each fixture (TestMedia/README.md), written out by hand so the
/// probe is compared with an independent reader, not with its own earlier output.
struct Expected: Sendable, CustomTestStringConvertible {
    var file: String
    var container: String
    var codec: String?
    var size: (Int, Int)?
    var display: (Int, Int)?
    var rotation = 0
    var sar = Ratio(1, 1)
    var durationMicros: Int64?
    var durationTolerance: Int64 = 0
    var source: DurationSource? = .container
    var audio = 0
    var decodable = true
    var fps: Double?

    var testDescription: String { file }
}

private let mov = "mov,mp4,m4a,3gp,3g2,mj2"
private let mkv = "matroska,webm"

private let table: [Expected] = [
    Expected(file: "ok_640x360_5s.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, audio: 1, fps: 10),
    Expected(file: "exact_4s.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 4_000_000, audio: 1, fps: 10),
    Expected(file: "short_3.9s.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 3_900_000, fps: 10),
    Expected(file: "long_7200s.mp4", container: mov, codec: "h264", size: (360, 360), display: (360, 360), durationMicros: 7_200_000_000, fps: 0.01),
    Expected(file: "long_7201s.mp4", container: mov, codec: "h264", size: (360, 360), display: (360, 360), durationMicros: 7_201_000_000, fps: 19.0 / 7201),
    Expected(file: "res_360x360.mp4", container: mov, codec: "h264", size: (360, 360), display: (360, 360), durationMicros: 5_000_000, fps: 10),
    Expected(file: "res_359x360.mp4", container: mov, codec: "h264", size: (359, 360), display: (359, 360), durationMicros: 5_000_000, fps: 10),
    Expected(file: "res_360x359.mp4", container: mov, codec: "h264", size: (360, 359), display: (360, 359), durationMicros: 5_000_000, fps: 10),
    Expected(file: "aspect_864x360.mp4", container: mov, codec: "h264", size: (864, 360), display: (864, 360), durationMicros: 5_000_000, fps: 10),
    Expected(file: "aspect_866x360.mp4", container: mov, codec: "h264", size: (866, 360), display: (866, 360), durationMicros: 5_000_000, fps: 10),
    Expected(file: "aspect_360x864.mp4", container: mov, codec: "h264", size: (360, 864), display: (360, 864), durationMicros: 5_000_000, fps: 10),
    Expected(file: "aspect_360x866.mp4", container: mov, codec: "h264", size: (360, 866), display: (360, 866), durationMicros: 5_000_000, fps: 10),
    Expected(file: "max_5184x2160.mp4", container: mov, codec: "h264", size: (5184, 2160), display: (5184, 2160), durationMicros: 5_000_000, fps: 1),
    Expected(file: "over_5184x2162.mp4", container: mov, codec: "h264", size: (5184, 2162), display: (5184, 2162), durationMicros: 5_000_000, fps: 1),
    Expected(file: "over_5186x2160.mp4", container: mov, codec: "h264", size: (5186, 2160), display: (5186, 2160), durationMicros: 5_000_000, fps: 1),
    // ffprobe prints the matrix's counter-clockwise angle (90 and -90); we report the
    // clockwise rotation FFmpeg applies when it displays the file (270 and 90).
    Expected(file: "rotate_90.mp4", container: mov, codec: "h264", size: (640, 360), display: (360, 640), rotation: 270, durationMicros: 5_000_000, fps: 10),
    Expected(file: "rotate_270.mp4", container: mov, codec: "h264", size: (640, 360), display: (360, 640), rotation: 90, durationMicros: 5_000_000, fps: 10),
    Expected(file: "sar_2_1.mp4", container: mov, codec: "h264", size: (640, 360), display: (1280, 360), sar: Ratio(2, 1), durationMicros: 5_000_000, fps: 10),
    // FFmpeg 9.0 (libavformat 63) takes the encoder padding the LAME header states off an MP3's
    // duration (5 s); 5.1 and 7.1 count the padded last frame (5.041633 s). 8.x not tested.
    Expected(file: "cover_art.mp3", container: "mp3", codec: nil, durationMicros: FFmpegRelease.libavformatMajor >= 63 ? 5_000_000 : 5_041_633, audio: 1),
    Expected(file: "audio_only.m4a", container: mov, codec: nil, durationMicros: 5_000_000, audio: 1),
    Expected(file: "ok.mkv", container: mkv, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_023_000, audio: 1, fps: 10),
    Expected(file: "ok.mov", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, audio: 1, fps: 10),
    Expected(file: "ok.ts", container: "mpegts", codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_038_722, audio: 1, fps: 10),
    Expected(file: "ok.webm", container: mkv, codec: "vp8", size: (640, 360), display: (640, 360), durationMicros: 5_005_000, audio: 1, fps: 10),
    // ffprobe: duration N/A. 50 frames at 10 fps: the packet scan must find 5 s (± one frame).
    Expected(file: "webm_no_duration.webm", container: mkv, codec: "vp8", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, durationTolerance: 100_000, source: .packets, fps: 10),
    // ffprobe: 5.3568 s "estimated from bitrate"; 125 frames at 25 fps are 5 s.
    Expected(file: "estimated_duration.m1v", container: "mpegvideo", codec: "mpeg1video", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, durationTolerance: 40_000, source: .packets, fps: 25),
    // The header of a faststart MP4 cut at 30 % still claims everything: the quick probe cannot tell.
    Expected(file: "truncated_faststart.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, fps: 10),
    Expected(file: "unknown_codec.mov", container: mov, codec: "none", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, decodable: false, fps: 10),
    Expected(file: "corrupt_payload.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, fps: 10),
    Expected(file: "vfr.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, fps: 20),
    Expected(file: "interlaced.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, fps: 25),
    Expected(file: "hdr_pq.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, fps: 10),
    Expected(file: "start_offset.ts", container: "mpegts", codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, fps: 10),
    // FFmpeg 5.1 (libavformat 59) takes an MP4's duration from its movie header, which counts the
    // 10 s empty edit (15 s); 7.1 and 9.0 (61, 63) take the streams' span, 10 s to 15 s (5 s), as
    // for start_offset.ts. 6.x not tested.
    Expected(file: "start_offset.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: FFmpegRelease.libavformatMajor >= 61 ? 5_000_000 : 15_000_000, fps: 10),
    Expected(file: "fps_2.mp4", container: mov, codec: "h264", size: (640, 360), display: (640, 360), durationMicros: 5_000_000, fps: 2),
]

@Suite("Probing every fixture")
struct FixtureProbeTests {
    @Test("facts match ffprobe", arguments: table)
    func probe(_ expected: Expected) async throws {
        let info = try await MediaProbe.probe(path: Fixtures.path(expected.file))
        #expect(info.container == expected.container)
        #expect(info.audioStreams == expected.audio)
        #expect(info.sizeBytes == (try FileManager.default.attributesOfItem(atPath: Fixtures.path(expected.file))[.size] as? Int).map(Int64.init))
        if let durationMicros = expected.durationMicros {
            let actual = try #require(info.durationMicroseconds)
            #expect(abs(actual - durationMicros) <= expected.durationTolerance, "duration \(actual) µs")
            #expect(info.durationSource == expected.source)
        } else {
            #expect(info.durationMicroseconds == nil)
        }
        guard let codec = expected.codec else {
            #expect(info.video == nil, "attached pictures and audio are not video streams")
            return
        }
        let video = try #require(info.video)
        #expect(video.codec == codec)
        #expect(video.decodable == expected.decodable)
        #expect(video.width == expected.size?.0 && video.height == expected.size?.1)
        #expect(video.displayWidth == expected.display?.0 && video.displayHeight == expected.display?.1)
        #expect(video.rotationDegrees == expected.rotation)
        #expect(video.sampleAspectRatio == expected.sar)
        if let fps = expected.fps {
            let measured = try #require(video.averageFrameRate?.value)
            #expect(abs(measured - fps) < 0.0001, "average frame rate \(measured)")
        }
    }

    @Test("the warning facts: VFR rates, field order, HDR transfer, start time, pixel format")
    func warningFacts() async throws {
        let vfr = try #require(try await MediaProbe.probe(path: Fixtures.path("vfr.mp4")).video)
        #expect(vfr.nominalFrameRate == Ratio(30, 1))
        #expect(vfr.averageFrameRate == Ratio(20, 1))
        #expect(try await MediaProbe.probe(path: Fixtures.path("interlaced.mp4")).video?.fieldOrder == "tt")
        let hdr = try #require(try await MediaProbe.probe(path: Fixtures.path("hdr_pq.mp4")).video)
        #expect(hdr.colorTransfer == "smpte2084")
        #expect(hdr.pixelFormat == "yuv420p10le")
        #expect(try await MediaProbe.probe(path: Fixtures.path("ok_640x360_5s.mp4")).video?.fieldOrder == "progressive")
        #expect(try await MediaProbe.probe(path: Fixtures.path("start_offset.ts")).startTimeSeconds == 10)
        #expect(try await MediaProbe.probe(path: Fixtures.path("ok.ts")).startTimeSeconds == 0)
        #expect(try await MediaProbe.probe(path: Fixtures.path("res_359x360.mp4")).video?.pixelFormat == "yuv444p")
        #expect(try await MediaProbe.probe(path: Fixtures.path("truncated_faststart.mp4")).video?.declaredFrames == 50)
    }

    @Test("without the packet scan, a bit-rate estimate is reported as such")
    func bitrateEstimate() async throws {
        let options = ProbeOptions(scanPacketsForDuration: false)
        let m1v = try await MediaProbe.probe(path: Fixtures.path("estimated_duration.m1v"), options: options)
        #expect(m1v.durationSource == .bitrate)
        #expect(m1v.durationMicroseconds == 5_356_800)
        let webm = try await MediaProbe.probe(path: Fixtures.path("webm_no_duration.webm"), options: options)
        #expect(webm.durationMicroseconds == nil || webm.durationSource == .bitrate)
    }

    @Test("files that are not media fail with not_media and FFmpeg's own words", arguments: [
        ("text.mp4", "moov atom not found"), ("truncated_nofaststart.mp4", "moov atom not found"),
    ])
    func notMedia(_ file: String, _ ffmpegSays: String) async throws {
        let error = await #expect(throws: ProbeError.self) { try await MediaProbe.probe(path: Fixtures.path(file)) }
        #expect(error?.code == .notMedia)
        #expect(error?.ffmpegMessage?.contains(ffmpegSays) == true, "\(String(describing: error))")
        #expect(error?.message.contains(ffmpegSays) == true)
    }

    @Test("an empty file is refused before FFmpeg sees it")
    func empty() async throws {
        let error = await #expect(throws: ProbeError.self) { try await MediaProbe.probe(path: Fixtures.path("empty.mp4")) }
        #expect(error?.code == .emptyFile)
    }
}

@Suite("Deep decode check")
struct DeepDecodeTests {
    @Test("intact files decode to the end", arguments: ["ok_640x360_5s.mp4", "ok.mkv", "ok.webm", "ok.ts", "rotate_90.mp4", "long_7200s.mp4"])
    func intact(_ file: String) async throws {
        let report = try await MediaProbe.decodeCheck(path: Fixtures.path(file))
        #expect(report.outcome == .ok, "\(report.message)")
        #expect(report.framesDecoded > 0)
    }

    @Test("every frame of the baseline decodes")
    func frameCount() async throws {
        let report = try await MediaProbe.decodeCheck(path: Fixtures.path("ok_640x360_5s.mp4"))
        #expect(report.framesDecoded == 50)
        #expect(report.decodedSeconds == 5)
    }

    @Test("a faststart MP4 cut at 30 % is truncated, with the point where data ends")
    func truncated() async throws {
        let report = try await MediaProbe.decodeCheck(path: Fixtures.path("truncated_faststart.mp4"))
        #expect(report.outcome == .truncated)
        let at = try #require(report.failedAtSeconds)
        #expect(at >= 0.3 && at <= 0.6, "failed at \(at) s")
        #expect(report.declaredSeconds == 5)
        #expect(report.framesDecoded < 10)
        #expect(report.message.contains("of 5.00 s"))
    }

    @Test("overwritten video payload fails decoding at the first damaged packet")
    func corrupt() async throws {
        let report = try await MediaProbe.decodeCheck(path: Fixtures.path("corrupt_payload.mp4"))
        #expect(report.outcome == .decodeFailed)
        let at = try #require(report.failedAtSeconds)
        #expect(at >= 0.4 && at <= 0.6, "failed at \(at) s")
        #expect(report.ffmpegMessage != nil)
    }

    @Test("no video stream or no decoder: nothing to decode")
    func notDecodable() async throws {
        #expect(try await MediaProbe.decodeCheck(path: Fixtures.path("audio_only.m4a")).outcome == .notDecodable)
        #expect(try await MediaProbe.decodeCheck(path: Fixtures.path("unknown_codec.mov")).outcome == .notDecodable)
    }
}
