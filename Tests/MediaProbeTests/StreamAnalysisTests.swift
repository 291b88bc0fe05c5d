import Foundation
import Testing
@testable import MediaProbe

/// The fast stream analysis must give exactly the ``MediaInfo`` of FFmpeg's full analysis, file by
/// file: every fact, not only the ones today's verdicts read. Over every TestMedia fixture, and over
/// ordinary camera-like files made here with the ffmpeg CLI in the shapes the fast path models
/// (B-frames, full range, 10-bit, 4:2:2, 4:4:4, cropping, VUI aspect ratios, HDR colour, fields,
/// rotation, offsets, Matroska) and in the ones it must leave to FFmpeg.
@Suite("Fast stream analysis equals the full one")
struct StreamAnalysisTests {
    static let fixtures: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.root.path)) ?? []
        return names.filter { !["README.md", "expected.json", "generate.sh"].contains($0) }.sorted()
    }()

    /// Probes `path` both ways; both succeed with the same value or both fail with the same code.
    static func expectSameFacts(_ path: String) async throws {
        let fast = await outcome(path, .fast)
        let full = await outcome(path, .full)
        switch (fast, full) {
        case let (.success(a), .success(b)):
            #expect(a == b, "\(path): fast \(a) vs full \(b)")
        case let (.failure(a), .failure(b)):
            #expect(a.code == b.code, "\(path): fast failed with \(a.code), full with \(b.code)")
        default:
            Issue.record("\(path): fast \(fast) vs full \(full)")
        }
    }

    static func outcome(_ path: String, _ analysis: StreamAnalysis) async -> Result<MediaInfo, ProbeError> {
        do {
            return .success(try await MediaProbe.probe(path: path, options: ProbeOptions(streamAnalysis: analysis)))
        } catch let error as ProbeError {
            return .failure(error)
        } catch {
            return .failure(ProbeError(.notMedia, path: path, message: "\(error)"))
        }
    }

    @Test("every fixture", arguments: fixtures)
    func fixture(_ name: String) async throws {
        try await Self.expectSameFacts(Fixtures.path(name))
    }

    /// The equality above would hold trivially if the fast path were never taken.
    @Test("the fast path is taken where it should be, and only there")
    func takenWhereExpected() async throws {
        for name in ["ok_640x360_5s.mp4", "ok.mkv", "ok.mov", "sar_2_1.mp4", "hdr_pq.mp4", "rotate_90.mp4", "vfr.mp4"] {
            #expect(try await MediaProbe.takesFastPath(path: Fixtures.path(name)), "\(name) should take the fast path")
        }
        for name in ["interlaced.mp4", "ok.ts", "ok.webm", "webm_no_duration.webm", "estimated_duration.m1v", "unknown_codec.mov", "audio_only.m4a"] {
            #expect(try await !MediaProbe.takesFastPath(path: Fixtures.path(name)), "\(name) should take the full path")
        }
    }

    /// One ordinary file per shape: (name, expected path, ffmpeg arguments before the output).
    static let made: [(String, Bool, [String])] = {
        let src720 = ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
        let src = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"]
        let x264 = ["-c:v", "libx264", "-preset", "veryfast"]
        return [
            ("bframes_720p_aac.mp4", true, src720 + ["-t", "1"] + x264 + ["-bf", "3", "-c:a", "aac", "-shortest"]),
            ("bframes_720p_aac_faststart.mp4", true, src720 + ["-t", "1"] + x264 + ["-c:a", "aac", "-movflags", "+faststart", "-shortest"]),
            ("bframes_720p_aac.mkv", true, src720 + ["-t", "1"] + x264 + ["-c:a", "aac", "-shortest"]),
            ("bframes_720p.mov", true, src720 + ["-t", "1"] + x264 + ["-c:a", "pcm_s16le", "-shortest"]),
            ("fullrange_yuvj420p.mp4", true, src + ["-t", "1", "-pix_fmt", "yuvj420p"] + x264),
            ("yuv420p10.mp4", true, src + ["-t", "1", "-pix_fmt", "yuv420p10le"] + x264),
            ("yuv422p.mp4", true, src + ["-t", "1", "-pix_fmt", "yuv422p"] + x264),
            ("yuv444p.mp4", true, src + ["-t", "1", "-pix_fmt", "yuv444p"] + x264),
            ("cropped_854x480.mp4", true, ["-f", "lavfi", "-i", "testsrc2=size=854x480:rate=30", "-t", "1"] + x264),
            ("vui_sar_4_3.mp4", true, src + ["-t", "1", "-vf", "setsar=4/3"] + x264),
            ("hdr10_bt2020.mp4", true, src + ["-t", "1", "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"] + x264),
            ("hlg_bt2020.mp4", true, src + ["-t", "1", "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc"] + x264),
            // Top field first through the setfield filter: FFmpeg 9's CLI no longer has `-top`.
            ("interlaced_tff.mp4", false, src + ["-t", "1", "-vf", "setfield=tff", "-flags", "+ildct+ilme"] + x264),
            ("rotated_phone.mp4", true, src720 + ["-t", "1", "-metadata:s:v:0", "rotate=90"] + x264 + ["-c:a", "aac", "-shortest"]),
            ("offset_10s.mp4", true, src + ["-t", "1", "-output_ts_offset", "10"] + x264),
            ("h264.ts", false, src + ["-t", "1"] + x264),
            ("hevc.mp4", false, src + ["-t", "1", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none", "-tag:v", "hvc1"]),
            ("vp9_opus.webm", true, src + ["-f", "lavfi", "-i", "sine", "-t", "1", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-shortest"]),
            // Matroska stores no decode times: the H.264 stream's start comes from its first packet.
            ("bframes_video_only.mkv", true, src + ["-t", "1", "-bf", "3"] + x264),
            // ... also when the video starts before the audio (the file's start is the earlier one),
            ("video_first.mkv", true, src + ["-itsoffset", "0.5", "-f", "lavfi", "-i", "sine", "-t", "2", "-bf", "3"] + x264 + ["-map", "0:v", "-map", "1:a", "-c:a", "aac"]),
            // ... and after it.
            ("audio_first.mkv", true, ["-itsoffset", "0.4"] + src + ["-f", "lavfi", "-i", "sine", "-t", "2", "-bf", "3"] + x264 + ["-map", "0:v", "-map", "1:a", "-c:a", "aac"]),
            ("hlg_bt2020_aac.mkv", true, src + ["-f", "lavfi", "-i", "sine", "-t", "1", "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc"] + x264 + ["-c:a", "aac", "-shortest"]),
            ("vp9_yuv444p.mp4", true, src + ["-t", "1", "-pix_fmt", "yuv444p", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
            ("vp9_10bit.mkv", true, src + ["-t", "1", "-pix_fmt", "yuv420p10le", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
            ("vp9_fullrange.webm", true, src + ["-t", "1", "-color_range", "pc", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
            ("two_video_streams.mkv", false, src + src + ["-t", "1", "-map", "0:v", "-map", "1:v"] + x264),
        ]
    }()

    @Test("ordinary files made with the ffmpeg CLI")
    func madeFiles() async throws {
        let ffmpeg = try #require(Self.ffmpegCLI(), "the ffmpeg command-line tool is needed (make test installs it: scripts/ensure-deps.sh --tools)")
        let directory = try Fixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, fast, arguments) in Self.made {
            let output = directory.appendingPathComponent(name).path
            let status = try await Self.run(ffmpeg, ["-v", "error", "-nostdin", "-y"] + arguments + [output])
            try #require(status == 0, "ffmpeg could not make \(name)")
            try await Self.expectSameFacts(output)
            #expect(try await MediaProbe.takesFastPath(path: output) == fast, "\(name): fast path expected \(fast)")
        }
    }

    static func ffmpegCLI() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/ffmpeg" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a program to its end, awaiting its exit with sleeps: 26 encodes must not hold a
    /// cooperative thread (two on this machine) while the other suites' servers need one.
    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus
    }
}
