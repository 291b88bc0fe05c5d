import Foundation
import MediaProbe
import PlatformRules
import Preflight
import Testing

/// The analysis window judged against real probed files, and reference images judged by their headers.
@Suite struct ClipWindowTests {
    func path(_ name: String) -> String { testMedia.appendingPathComponent(name).path }

    @Test func theWindowIsAbsoluteInTheVideosOwnTimeline() async throws {
        // start_offset.mp4 starts at 10 s. FFmpeg 5.1 (libavformat 59) takes its duration from the
        // movie header, which counts the 10 s empty edit: 15 s, so it runs 10–25 s. FFmpeg 7.1 and
        // 9.0 (61, 63) take the streams' span, 5 s: it runs 10–15 s. Every window below is placed
        // the same way against the end (`end`), so both say the same about the rules.
        let end: Double = libavformatMajor() >= 61 ? 15 : 25
        let inside = try await Preflight.evaluate(path: path("start_offset.mp4"), clip: ClipWindow(start: 12, end: end - 1))
        #expect(inside.ok && inside.billableSeconds == end - 13 && inside.clip == ClipWindow(start: 12, end: end - 1))
        for (start, stop) in [(0.0, 8.0), (9.0, end - 1), (end - 1, end + 1)] {
            let outside = try await Preflight.evaluate(path: path("start_offset.mp4"), clip: ClipWindow(start: start, end: stop))
            #expect(outside.violations.map(\.code.rawValue) == ["clip_outside_video"], "\(start)–\(stop)")
        }
        let toTheEnd = try await Preflight.evaluate(path: path("start_offset.mp4"), clip: ClipWindow(start: end - 3, end: nil))
        #expect(toTheEnd.ok && toTheEnd.billableSeconds == 3)
        let short = try await Preflight.evaluate(path: path("start_offset.mp4"), clip: ClipWindow(start: end - 0.5, end: end))
        #expect(short.violations.map(\.code.rawValue) == ["clip_too_short"] && short.billableSeconds == 0.5, "a window lasts 1 s at least")
        // An omitted start is the video's start (10 s here), not 0.
        let fromTheStart = try await Preflight.evaluate(path: path("start_offset.mp4"), clip: ClipWindow(start: nil, end: end - 1))
        #expect(fromTheStart.ok && fromTheStart.billableSeconds == end - 11)
        let whole = try await Preflight.evaluate(path: path("start_offset.mp4"))
        #expect(whole.billableSeconds == end - 10 && whole.clip == nil)
    }

    @Test func aClippedVideoMayRunPastTwoHoursButNotInline() async throws {
        let unclipped = try await Preflight.evaluate(path: path("long_7201s.mp4"))
        #expect(unclipped.violations.map(\.code.rawValue) == ["duration_too_long"])
        let clipped = try await Preflight.evaluate(path: path("long_7201s.mp4"), clip: ClipWindow(start: 0, end: 7200))
        #expect(clipped.ok && clipped.billableSeconds == 7200)
        #expect(clipped.source?.kind == .direct, "base64 takes at most 2 h, however small the file")
        let tooLong = try await Preflight.evaluate(path: path("long_7201s.mp4"), clip: ClipWindow(start: 0, end: 7201))
        #expect(tooLong.violations.map(\.code.rawValue) == ["clip_too_long"])
        let small = try await Preflight.evaluate(path: path("ok_640x360_5s.mp4"), clip: ClipWindow(start: 0, end: 4.5))
        #expect(small.source?.kind == .base64)
    }

    @Test(arguments: [
        ("3600-3720", ClipWindow(start: 3600, end: 3720)), ("1:00:00-1:02:00", ClipWindow(start: 3600, end: 3720)),
        ("0:12-0:20.5", ClipWindow(start: 12, end: 20.5)), ("90-", ClipWindow(start: 90, end: nil)),
    ])
    func clipsParse(_ text: String, _ expected: ClipWindow) {
        #expect(ClipWindow(parsing: text) == expected)
    }

    @Test(arguments: ["", "5", "5-5", "9-3", "-4", "a-b", "1:60-2:00", "1:2:3:4-9", "+1-5", "1-inf"])
    func badClipsDoNotParse(_ text: String) {
        #expect(ClipWindow(parsing: text) == nil)
    }
}

@Suite struct ImageCheckTests {
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// One header per format, for a `width` × `height` picture.
    static func headers(width: Int, height: Int) -> [(String, [UInt8])] {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [0, 0, 0, 13] + Array("IHDR".utf8)
            + [0, 0] + be16(width) + [0, 0] + be16(height) + [8, 2, 0, 0, 0, 0, 0, 0, 0]
        let gif = Array("GIF89a".utf8) + le16(width) + le16(height) + [0, 0, 0]
        let bmp = Array("BM".utf8) + le32(54) + [0, 0, 0, 0] + le32(54) + le32(40) + le32(width) + le32((1 << 32) - height) + [1, 0, 24, 0]
        // JPEG: SOI, an APP0 segment, then SOF0 with height before width.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
            + [0xFF, 0xC0, 0, 17, 8] + be16(height) + be16(width) + [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        let riff = Array("RIFF".utf8) + le32(30) + Array("WEBP".utf8)
        let lossy = riff + Array("VP8 ".utf8) + le32(10) + [0, 0, 0, 0x9D, 0x01, 0x2A] + le16(width) + le16(height) + [0, 0]
        let bits = (width - 1) | (height - 1) << 14
        let lossless = riff + Array("VP8L".utf8) + le32(5) + [0x2F] + le32(bits)
        let extended = riff + Array("VP8X".utf8) + le32(10) + [0, 0, 0, 0]
            + [UInt8((width - 1) & 0xFF), UInt8((width - 1) >> 8 & 0xFF), UInt8((width - 1) >> 16 & 0xFF)]
            + [UInt8((height - 1) & 0xFF), UInt8((height - 1) >> 8 & 0xFF), UInt8((height - 1) >> 16 & 0xFF)]
        return [("png", png), ("gif", gif), ("bmp", bmp), ("jpeg", jpeg), ("webp", lossy), ("webp", lossless), ("webp", extended)]
    }

    func write(_ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tl-image-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func everyFormatsHeaderGivesItsSize() throws {
        for (format, bytes) in Self.headers(width: 1234, height: 567) {
            let file = try write(bytes)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let image = try ImageCheck.check(path: file)
            #expect(image.format == format && image.width == 1234 && image.height == 567, "\(format)")
        }
    }

    @Test func limitsAndBadFilesGiveTypedFailures() throws {
        func failure(_ path: String, rules: PlatformRules = .current) -> String? {
            do { _ = try ImageCheck.check(path: path, rules: rules); return nil } catch { return error.code }
        }
        for (format, bytes) in Self.headers(width: 4097, height: 4096) {
            let file = try write(bytes)
            defer { try? FileManager.default.removeItem(atPath: file) }
            #expect(failure(file) == "image_too_many_pixels", "\(format)")
        }
        // A PNG declaring 0xFFFFFFFF × 0xFFFFFFFF: refused, not an overflow trap.
        let hostile = try write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
                                + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 8, 2, 0, 0, 0])
        defer { try? FileManager.default.removeItem(atPath: hostile) }
        #expect(failure(hostile) == "image_too_many_pixels")
        let square = try write(Self.headers(width: 4096, height: 4096)[0].1)
        defer { try? FileManager.default.removeItem(atPath: square) }
        #expect(failure(square) == nil, "4096 × 4096 is exactly the limit")
        var small = PlatformRules.current
        small.request.images.maxBytes = 10
        #expect(failure(square, rules: small) == "image_too_large")
        let text = try write(Array("not an image at all".utf8))
        defer { try? FileManager.default.removeItem(atPath: text) }
        #expect(failure(text) == "image_format_unsupported")
        let truncatedJPEG = try write([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2])
        defer { try? FileManager.default.removeItem(atPath: truncatedJPEG) }
        #expect(failure(truncatedJPEG) == "image_format_unsupported")
        #expect(failure("/nonexistent/logo.png") == "image_unreadable")
        #expect(failure("/dev/null") == "image_unreadable", "a device is not an image file")
        #expect(failure(FileManager.default.temporaryDirectory.path) == "image_unreadable")
    }
}

/// libavformat's major version under test (59 for FFmpeg 5.1, 61 for 7.1, 63 for 9.0), for the
/// facts FFmpeg reports differently by release.
func libavformatMajor() -> Int {
    guard let versions = try? MediaProbe.ffmpegVersions() else { return 0 }
    return Int(versions.dropFirst("libavformat ".count).prefix { $0 != "." }) ?? 0
}
