import Foundation
import MediaProbe
import Testing
@testable import Preflight

let testMedia: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("TestMedia")

/// The verdict every fixture must get (TestMedia/README.md), quick and deep.
struct Verdict: Sendable, CustomTestStringConvertible {
    var file: String
    var violations: [String] = []
    var warnings: [String] = []
    /// Extra violation the deep check adds, if any (``DecodeMode/full``).
    var deep: String?
    /// The same with `--decode keyframes`.
    var keyframes: String?
    /// The same with `--decode packets`.
    var packets: String?
    var testDescription: String { file }

    func expected(_ mode: DecodeMode) -> String? {
        switch mode {
        case .full: deep
        case .keyframes: keyframes
        case .packets: packets
        }
    }
}

private let verdicts: [Verdict] = [
    Verdict(file: "ok_640x360_5s.mp4"),
    Verdict(file: "exact_4s.mp4"),
    Verdict(file: "short_3.9s.mp4", violations: ["duration_too_short"]),
    Verdict(file: "long_7200s.mp4", warnings: ["unusual_frame_rate"]),
    Verdict(file: "long_7201s.mp4", violations: ["duration_too_long"], warnings: ["unusual_frame_rate"]),
    Verdict(file: "res_360x360.mp4"),
    Verdict(file: "res_359x360.mp4", violations: ["resolution_too_small"]),
    Verdict(file: "res_360x359.mp4", violations: ["resolution_too_small"]),
    Verdict(file: "aspect_864x360.mp4"),
    Verdict(file: "aspect_866x360.mp4", violations: ["aspect_ratio_out_of_range"]),
    Verdict(file: "aspect_360x864.mp4"),
    Verdict(file: "aspect_360x866.mp4", violations: ["aspect_ratio_out_of_range"]),
    Verdict(file: "max_5184x2160.mp4", warnings: ["unusual_frame_rate"]),
    Verdict(file: "over_5184x2162.mp4", violations: ["resolution_too_large"], warnings: ["unusual_frame_rate"]),
    Verdict(file: "over_5186x2160.mp4", violations: ["resolution_too_large", "aspect_ratio_out_of_range"], warnings: ["unusual_frame_rate"]),
    Verdict(file: "rotate_90.mp4"),
    Verdict(file: "rotate_270.mp4"),
    Verdict(file: "sar_2_1.mp4", warnings: ["non_square_pixels"]),
    Verdict(file: "cover_art.mp3", violations: ["no_video_stream"]),
    Verdict(file: "audio_only.m4a", violations: ["no_video_stream"]),
    Verdict(file: "ok.mkv"),
    Verdict(file: "ok.mov"),
    Verdict(file: "ok.ts"),
    Verdict(file: "ok.webm"),
    Verdict(file: "webm_no_duration.webm"),
    Verdict(file: "estimated_duration.m1v"),
    Verdict(file: "truncated_faststart.mp4", deep: "truncated", keyframes: "truncated", packets: "truncated"),
    Verdict(file: "truncated_nofaststart.mp4", violations: ["not_media"]),
    Verdict(file: "text.mp4", violations: ["not_media"]),
    Verdict(file: "empty.mp4", violations: ["empty_file"]),
    Verdict(file: "unknown_codec.mov", violations: ["unsupported_codec"]),
    // Damage in non-key frames only: the key frame and every packet are intact.
    Verdict(file: "corrupt_payload.mp4", deep: "decode_failed"),
    Verdict(file: "damaged_keyframe.mp4", deep: "decode_failed", keyframes: "decode_failed"),
    Verdict(file: "damaged_nonkey.mp4", deep: "decode_failed"),
    Verdict(file: "vfr.mp4", warnings: ["variable_frame_rate"]),
    Verdict(file: "interlaced.mp4", warnings: ["interlaced"]),
    Verdict(file: "hdr_pq.mp4", warnings: ["hdr_transfer"]),
    Verdict(file: "start_offset.ts", warnings: ["nonzero_start_time"]),
    Verdict(file: "start_offset.mp4", warnings: ["nonzero_start_time"]),
    Verdict(file: "fps_2.mp4", warnings: ["unusual_frame_rate"]),
]

@Suite("Verdict of every fixture")
struct FixtureVerdictTests {
    @Test("every committed fixture is covered by the table")
    func tableCoversTestMedia() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: testMedia.path)
            .filter { !["README.md", "generate.sh", "expected.json"].contains($0) && !$0.hasPrefix(".") }
        #expect(Set(names) == Set(verdicts.map(\.file)))
    }

    @Test("quick check", arguments: verdicts)
    func quick(_ verdict: Verdict) async throws {
        let report = try await Preflight.evaluate(path: testMedia.appendingPathComponent(verdict.file).path)
        #expect(report.violations.map(\.code.rawValue) == verdict.violations)
        #expect(report.warnings.map(\.code.rawValue) == verdict.warnings)
        #expect(report.ok == verdict.violations.isEmpty)
        #expect((report.source != nil) == report.ok)
        #expect(report.decode == nil)
    }

    @Test("deep check", arguments: verdicts)
    func deep(_ verdict: Verdict) async throws {
        let report = try await Preflight.evaluate(path: testMedia.appendingPathComponent(verdict.file).path, deep: true)
        #expect(report.violations.map(\.code.rawValue) == verdict.violations + (verdict.deep.map { [$0] } ?? []))
        if let deep = verdict.deep {
            let violation = try #require(report.violations.last)
            #expect(violation.code.rawValue == deep)
            #expect(violation.actual != nil, "where decoding broke")
            #expect(report.source == nil)
        }
    }

    /// What each mode catches (README, `DecodeMode`): a cut fails all three, damage in a key frame
    /// fails `keyframes` and `full`, damage in other frames fails `full` only.
    @Test("deep check in every mode", arguments: verdicts, DecodeMode.allCases)
    func deepModes(_ verdict: Verdict, _ mode: DecodeMode) async throws {
        let report = try await Preflight.evaluate(path: testMedia.appendingPathComponent(verdict.file).path,
                                                  deep: true, decode: DecodeOptions(mode: mode))
        #expect(report.violations.map(\.code.rawValue) == verdict.violations + (verdict.expected(mode).map { [$0] } ?? []))
        if let decode = report.decode {
            #expect(decode.mode == mode)
            #expect(decode.packetsRead > 0)
            if mode == .packets { #expect(decode.framesDecoded == 0) }
        } else {
            // Only files without a video stream (or, when decoding, without a decoder) skip the deep check.
            #expect(report.media?.videoCodec == nil || (mode != .packets && report.media?.decodable == false))
        }
    }

    @Test("a sparse file over 10 GB fails file_too_large")
    func tooLarge() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vp-large-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("huge.mp4")
        try FileManager.default.copyItem(at: testMedia.appendingPathComponent("ok_640x360_5s.mp4"), to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 10_000_000_001)
        try handle.close()
        let report = try await Preflight.evaluate(path: url.path)
        #expect(report.violations.map(\.code.rawValue) == ["file_too_large"])
    }
}

@Suite("Report JSON")
struct ReportJSONTests {
    @Test("a report encodes with the stable snake_case keys and explicit nulls")
    func shape() throws {
        let report = Preflight.check(media(micros: 3_200_000, size: 325_000))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        let expected = #"{"billable_seconds":3.2,"clip":null,"media":{"aspect_ratio":1.7778,"audio_streams":1,"bit_rate":null,"color_transfer":"bt709","container":"mov,mp4,m4a,3gp,3g2,mj2","decodable":true,"display_height":360,"display_width":640,"duration_seconds":3.2,"duration_source":"container","field_order":"progressive","frame_rate":25,"height":360,"nominal_frame_rate":25,"pixel_format":null,"rotation_degrees":0,"sample_aspect_ratio":"1:1","size_bytes":325000,"start_time_seconds":0,"video_codec":"h264","width":640},"ok":false,"path":"clip.mp4","source":null,"violations":[{"actual":3.2,"code":"duration_too_short","limit":4,"message":"Duration 3.20 s is below the 4 s minimum."}],"warnings":[]}"#
        #expect(json == expected)
    }

    @Test("a passing report carries the source plan; a report decodes back")
    func passing() throws {
        let report = Preflight.check(media(size: 325_000))
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let source = try #require(object["source"] as? [String: Any])
        #expect(source["kind"] as? String == "base64")
        #expect(source["reason"] as? String == "encoded size 433,336 bytes is within the 30,000,000-byte inline limit")
        #expect(try JSONDecoder().decode(Report.self, from: data) == report)
    }

    @Test("a probe error becomes a failing report with its code and FFmpeg's words")
    func errorReport() {
        let report = Preflight.report(for: ProbeError(.notMedia, path: "x.mp4", message: "FFmpeg could not parse the container in x.mp4.", ffmpegMessage: "moov atom not found"))
        #expect(codes(report) == ["not_media"])
        #expect(report.violations[0].message.contains("moov atom not found"))
        #expect(report.media == nil && report.source == nil)
    }
}
