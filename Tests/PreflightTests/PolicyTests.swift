import Foundation
import MediaProbe
import Testing
@testable import Preflight

/// A synthetic probe result: only what a case varies differs from a passing 640x360, 5 s file.
func media(
    width: Int = 640, height: Int = 360, micros: Int64? = 5_000_000, source: DurationSource? = .container,
    codec: String = "h264", decodable: Bool = true, video: Bool = true, audio: Int = 1, size: Int64 = 1_000_000,
    sar: Ratio = Ratio(1, 1), rotation: Int = 0, avg: Ratio? = Ratio(25, 1), nominal: Ratio? = Ratio(25, 1),
    fieldOrder: String? = "progressive", transfer: String? = "bt709", start: Double? = 0
) -> MediaInfo {
    MediaInfo(
        path: "clip.mp4", sizeBytes: size, container: "mov,mp4,m4a,3gp,3g2,mj2",
        durationMicroseconds: micros, durationSource: micros == nil ? nil : source, startTimeSeconds: start,
        video: video ? VideoStreamInfo(index: 0, codec: codec, decodable: decodable, width: width, height: height,
                                       sampleAspectRatio: sar, rotationDegrees: rotation, averageFrameRate: avg,
                                       nominalFrameRate: nominal, fieldOrder: fieldOrder, colorTransfer: transfer) : nil,
        audioStreams: audio)
}

func codes(_ report: Report) -> [String] { report.violations.map(\.code.rawValue) }

@Suite("Policy boundaries")
struct PolicyBoundaryTests {
    @Test("duration, inclusive 4 s to 7200 s, compared in microseconds", arguments: [
        (Int64(3_999_999), ["duration_too_short"]), (4_000_000, []), (4_000_001, []),
        (3_900_000, ["duration_too_short"]), (0, ["duration_too_short"]),
        (7_200_000_000, []), (7_200_000_001, ["duration_too_long"]), (7_201_000_000, ["duration_too_long"]),
    ] as [(Int64, [String])])
    func duration(_ micros: Int64, _ expected: [String]) {
        #expect(codes(Preflight.check(media(micros: micros))) == expected)
    }

    @Test("unknown duration fails")
    func unknownDuration() {
        let report = Preflight.check(media(micros: nil))
        #expect(codes(report) == ["duration_unknown"])
    }

    @Test("resolution on stored pixels: sides ≥ 360, long ≤ 5184, short ≤ 2160", arguments: [
        (360, 360, [String]()), (359, 360, ["resolution_too_small"]), (360, 359, ["resolution_too_small"]),
        (359, 359, ["resolution_too_small"]), (864, 360, []), (5184, 2160, []), (2160, 5184, []),
        (5184, 2162, ["resolution_too_large"]), (2162, 5184, ["resolution_too_large"]),
        (5186, 2160, ["resolution_too_large", "aspect_ratio_out_of_range"]),
        (2160, 2160, []), (2161, 2161, ["resolution_too_large"]), (3840, 2160, []), (4096, 2160, []),
        (16, 16, ["resolution_too_small"]), (0, 0, ["resolution_too_small"]),
    ] as [(Int, Int, [String])])
    func resolution(_ w: Int, _ h: Int, _ expected: [String]) {
        #expect(codes(Preflight.check(media(width: w, height: h))) == expected)
    }

    @Test("aspect ratio 1:2.4 to 2.4:1, exact in integers", arguments: [
        (864, 360, true), (865, 360, false), (866, 360, false), (360, 864, true), (360, 865, false),
        (1200, 500, true), (1201, 500, false), (500, 1200, true), (500, 1201, false),
        (2400, 1000, true), (2401, 1000, false), (1920, 800, true), (1921, 800, false), (640, 360, true),
    ])
    func aspect(_ w: Int, _ h: Int, _ allowed: Bool) {
        #expect(Policy.platformDefault.aspectRatioAllowed(width: w, height: h) == allowed)
        let policy = Policy(minSide: 1, maxLongSide: 100_000, maxShortSide: 100_000)
        #expect(codes(Preflight.check(media(width: w, height: h), policy: policy)) == (allowed ? [] : ["aspect_ratio_out_of_range"]))
    }

    @Test("limits apply to stored pixels, not the rotated or SAR-scaled display")
    func storedPixels() {
        // 640x360 shown as 1280x360 (SAR 2:1 → display aspect 3.56) still passes on its stored 1.78.
        let wide = Preflight.check(media(sar: Ratio(2, 1)))
        #expect(wide.ok)
        #expect(wide.media?.displayWidth == 1280)
        #expect(wide.warnings.map(\.code.rawValue) == ["non_square_pixels"])
        // 640x360 rotated 90 displays as 360x640: same stored size, same verdict.
        let rotated = Preflight.check(media(rotation: 90))
        #expect(rotated.ok)
        #expect(rotated.media?.displayWidth == 360 && rotated.media?.displayHeight == 640)
    }

    @Test("no video stream, undecodable codec, file too large")
    func streamAndFile() {
        #expect(codes(Preflight.check(media(video: false))) == ["no_video_stream"])
        #expect(codes(Preflight.check(media(codec: "none", decodable: false))) == ["unsupported_codec"])
        #expect(codes(Preflight.check(media(codec: "none", decodable: false), policy: Policy(requireDecodableVideo: false))) == [])
        #expect(codes(Preflight.check(media(size: 10_000_000_000))) == [])
        #expect(codes(Preflight.check(media(size: 10_000_000_001))) == ["file_too_large"])
    }

    @Test("every violation is reported, not only the first")
    func allViolations() {
        let report = Preflight.check(media(width: 200, height: 900, micros: 1_000_000, codec: "none", decodable: false, size: 20_000_000_000))
        #expect(codes(report) == ["duration_too_short", "resolution_too_small", "aspect_ratio_out_of_range", "unsupported_codec", "file_too_large"])
        #expect(report.source == nil)
        #expect(!report.ok)
    }

    @Test("violations carry plain messages, the actual value and the limit")
    func violationDetail() throws {
        let short = try #require(Preflight.check(media(micros: 3_200_000)).violations.first)
        #expect(short.message == "Duration 3.20 s is below the 4 s minimum.")
        #expect(short.actual == .number(3.2))
        #expect(short.limit == .number(4))
        let small = try #require(Preflight.check(media(width: 359, height: 360)).violations.first)
        #expect(small.actual == .text("359x360"))
        #expect(small.limit == .text("360x360"))
        #expect(small.message == "Resolution 359x360 is below the 360x360 minimum.")
    }

    @Test("warnings", arguments: [
        (media(avg: Ratio(20, 1), nominal: Ratio(30, 1)), ["variable_frame_rate"]),
        (media(avg: Ratio(2997, 100), nominal: Ratio(30000, 1001)), []),
        (media(fieldOrder: "tt"), ["interlaced"]),
        (media(fieldOrder: nil), []),
        (media(transfer: "smpte2084"), ["hdr_transfer"]),
        (media(transfer: "arib-std-b67"), ["hdr_transfer"]),
        (media(sar: Ratio(4, 3)), ["non_square_pixels"]),
        (media(avg: Ratio(4, 1), nominal: Ratio(4, 1)), ["unusual_frame_rate"]),
        (media(avg: Ratio(5, 1), nominal: Ratio(5, 1)), []),
        (media(avg: Ratio(120, 1), nominal: Ratio(120, 1)), []),
        (media(avg: Ratio(121, 1), nominal: Ratio(121, 1)), ["unusual_frame_rate"]),
        (media(start: 10), ["nonzero_start_time"]),
        (media(start: 0.05), []),
        (media(source: .bitrate), ["duration_estimated"]),
    ] as [(MediaInfo, [String])])
    func warnings(_ info: MediaInfo, _ expected: [String]) {
        let report = Preflight.check(info)
        #expect(report.warnings.map(\.code.rawValue) == expected)
        #expect(report.ok, "warnings never fail a file")
        #expect(report.passes(strict: true) == expected.isEmpty)
    }
}

@Suite("Source planner")
struct PlannerTests {
    @Test("base64 up to 30,000,000 encoded bytes, direct to 200 MB, multipart to 10 GB", arguments: [
        (Int64(1), SourcePlan.Kind?.some(.base64)), (22_500_000, .base64), (22_500_001, .direct),
        (200_000_000, .direct), (200_000_001, .multipart), (10_000_000_000, .multipart), (10_000_000_001, nil),
    ])
    func kinds(_ size: Int64, _ kind: SourcePlan.Kind?) {
        #expect(Planner.plan(sizeBytes: size)?.kind == kind)
    }

    @Test("encoded length is 4·⌈n/3⌉")
    func base64Length() {
        #expect(Planner.base64Length(of: 0) == 0)
        #expect(Planner.base64Length(of: 1) == 4)
        #expect(Planner.base64Length(of: 3) == 4)
        #expect(Planner.base64Length(of: 4) == 8)
        #expect(Planner.base64Length(of: 22_500_000) == 30_000_000)
        #expect(Planner.base64Length(of: 22_500_001) == 30_000_004)
        // Foundation agrees on a small sample.
        #expect(Int64(Data(count: 325_000).base64EncodedString().utf8.count) == Planner.base64Length(of: 325_000))
    }

    @Test("the plan says which rule chose it")
    func reasons() throws {
        let inline = try #require(Planner.plan(sizeBytes: 325_000))
        #expect(inline.reason == "encoded size 433,336 bytes is within the 30,000,000-byte inline limit")
        #expect(inline.encodedBytes == 433_336)
        #expect(try #require(Planner.plan(sizeBytes: 50_000_000)).reason.contains("200,000,000-byte direct upload limit"))
        #expect(try #require(Planner.plan(sizeBytes: 500_000_000)).reason.contains("10,000,000,000-byte multipart limit"))
    }

    @Test("thresholds come from the policy")
    func custom() {
        let policy = Policy(maxInlineEncodedBytes: 1_000, maxDirectUploadBytes: 2_000)
        #expect(Planner.plan(sizeBytes: 750, policy: policy)?.kind == .base64)
        #expect(Planner.plan(sizeBytes: 751, policy: policy)?.kind == .direct)
        #expect(Planner.plan(sizeBytes: 2_001, policy: policy)?.kind == .multipart)
    }

    @Test("grouping", arguments: [(Int64(0), "0"), (999, "999"), (1000, "1,000"), (433_336, "433,336"), (30_000_000, "30,000,000"), (-1234, "-1,234")])
    func grouped(_ value: Int64, _ text: String) {
        #expect(Planner.grouped(value) == text)
    }
}

@Suite("Policy JSON")
struct PolicyJSONTests {
    private func decode(_ json: String) throws -> Policy {
        try JSONDecoder().decode(Policy.self, from: Data(json.utf8))
    }

    @Test("an empty object is the platform default; keys override")
    func overrides() throws {
        #expect(try decode("{}") == .platformDefault)
        let policy = try decode(#"{"min_duration_seconds": 10, "max_duration_seconds": 600.5, "min_side": 480, "max_aspect_ratio": 2, "max_file_bytes": 5000000000}"#)
        #expect(policy.minDurationMicroseconds == 10_000_000)
        #expect(policy.maxDurationMicroseconds == 600_500_000)
        #expect(policy.minSide == 480)
        #expect(policy.maxAspectRatio == Ratio(2, 1))
        #expect(policy.maxFileBytes == 5_000_000_000)
        #expect(policy.maxLongSide == 5184)
    }

    @Test("aspect ratio as a decimal or a fraction", arguments: [
        (#"2.4"#, Ratio(12, 5)), (#""12:5""#, Ratio(12, 5)), (#""16/9""#, Ratio(16, 9)), (#"1.7777777778"#, Ratio(16, 9)), (#""2.4""#, Ratio(12, 5)),
    ])
    func aspect(_ value: String, _ ratio: Ratio) throws {
        #expect(try decode(#"{"max_aspect_ratio": \#(value)}"#).maxAspectRatio == ratio)
    }

    @Test("nonsense is rejected with the key named", arguments: [
        #"{"min_side": -1}"#, #"{"min_side": "big"}"#, #"{"max_aspect_ratio": 0.5}"#, #"{"max_aspect_ratio": "wide"}"#,
        #"{"min_duration_seconds": 100, "max_duration_seconds": 50}"#, #"{"min_duration_seconds": -1}"#,
        #"{"min_side": 3000}"#, #"[1, 2]"#, #"not json"#,
    ])
    func invalid(_ json: String) {
        #expect(throws: (any Error).self) { try decode(json) }
    }

    @Test("a policy encodes to JSON that decodes to itself")
    func roundTrip() throws {
        let policy = Policy(minDurationMicroseconds: 2_500_000, maxAspectRatio: Ratio(16, 9), minFrameRate: 1)
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(Policy.self, from: data) == policy)
    }
}
